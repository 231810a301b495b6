/**
 * Autocompletion for the task query language (the server's src/tasklane/query/language.py;
 * README, "Query language"): the term being typed at the caret, what may complete it, and the
 * text once a suggestion is picked. Pure: QueryInput draws the list and handles the keys.
 *
 * A partial field name (`assi`, `-st`) is completed to the field and its operator
 * (`assignee:`, `due<`); after the operator come the field's values (`me`, a handle, a status,
 * a label, `this-week`, ...). A value with a space (or `OR`) goes in quotes, as the grammar
 * wants: `label:"needs review"`.
 */

/** The fields the grammar knows, in the order they are offered. */
export const FIELDS = [
  "assignee",
  "status",
  "label",
  "priority",
  "project",
  "is",
  "parent",
  "created",
  "updated",
  "due",
] as const;
export type FieldName = (typeof FIELDS)[number];

const DATE_FIELDS = new Set<string>(["created", "updated", "due"]);
/** `is:` takes these (language.py, IS_VALUES). */
export const IS_VALUES = ["open", "done", "overdue", "unassigned"] as const;
/** `priority:` takes these (language.py, PRIORITY_VALUES), most urgent first. */
export const PRIORITY_VALUES = ["urgent", "high", "medium", "low", "none"] as const;
/** `status:` takes a status's name or one of these categories. */
export const STATUS_CATEGORIES = ["backlog", "unstarted", "started", "done", "cancelled"] as const;
/** Dates take these words (language.py, DATE_WORDS), a date, or days or weeks from today. */
export const DATE_WORDS = [
  "today",
  "yesterday",
  "tomorrow",
  "this-week",
  "last-week",
  "next-week",
  "none",
] as const;
/** Relative dates offered before a number is typed. */
const RELATIVE_EXAMPLES = ["-7d", "-30d", "+7d", "+2w"] as const;

/** At most this many values are offered (field names are few and always all shown). */
export const MAX_SUGGESTIONS = 12;

const FIELD_HELP: Record<FieldName, string> = {
  assignee: "me, none or a person",
  status: "a status, or a category",
  label: "has the label",
  priority: "urgent, high, medium, low, none",
  project: "a project's key",
  is: "open, done, overdue, unassigned",
  parent: "subtasks of a task, or none",
  created: "on a day or in a week",
  updated: "on a day or in a week",
  due: "on a day or in a week",
};
const DATE_OPS: Array<[string, string]> = [
  [":", "on a day or in a week"],
  ["<", "before"],
  [">", "after"],
];

const VALUE_HELP: Record<string, Record<string, string>> = {
  assignee: { me: "you", none: "nobody" },
  is: {
    open: "not done or cancelled",
    done: "in a done status",
    overdue: "open, due before today",
    unassigned: "nobody assigned",
  },
  parent: { none: "top-level tasks" },
  priority: { none: "no priority" },
};
const DATE_HELP: Record<string, string> = {
  today: "",
  yesterday: "",
  tomorrow: "",
  "this-week": "Monday to Sunday",
  "last-week": "Monday to Sunday",
  "next-week": "Monday to Sunday",
  none: "no date",
};

/** What the app knows of the workspace: names the values may take. */
export interface Vocabulary {
  people?: ReadonlyArray<{ handle?: string | null; name: string }>;
  statuses?: readonly string[];
  labels?: readonly string[];
  projects?: ReadonlyArray<{ key: string; name: string }>;
}

export interface QueryToken {
  /** Where the term at the caret starts (its `-` included). */
  start: number;
  /** Where it ends: at the first space outside quotes (may be after the caret). */
  end: number;
  /** The term from its start to the caret. */
  typed: string;
  /** It starts with `-`. */
  negated: boolean;
  /** Set once a field name and an operator are typed: `label:"needs r`. */
  field: {
    /** As typed, in lower case. */
    name: string;
    op: string;
    /** Where the value (its opening quote included) starts in the text. */
    valueStart: number;
    /** The value typed up to the caret, without its quotes. */
    value: string;
    quoted: boolean;
  } | null;
}

export interface Suggestion {
  kind: "field" | "value";
  /** What the option shows: `assignee:`, `needs review`. */
  label: string;
  /** What goes into the text: `assignee:`, `"needs review"`. */
  text: string;
  /** A short explanation shown beside it: a person's name, what a value means. */
  detail: string;
}

const SPACE = /\s/;
const FIELD_START = /^([A-Za-z_]+)(>=|<=|:|>|<)/;
const PLAIN_VALUE = /^[^\s"]+$/;
const NUMBER = /^([+-]?)(\d{1,4})$/;

/** The term of `text` that the caret is in or right after; an empty one (start = end = caret)
 * when the caret is between terms. Terms are separated by spaces outside quotes. */
export function tokenAt(text: string, caret: number): QueryToken {
  const at = Math.max(0, Math.min(caret, text.length));
  let i = 0;
  while (i < text.length) {
    while (i < text.length && SPACE.test(text.charAt(i))) i++;
    if (i >= text.length || i > at) break;
    const start = i;
    let quoted = false;
    while (i < text.length && (quoted || !SPACE.test(text.charAt(i)))) {
      if (text.charAt(i) === '"') quoted = !quoted;
      i++;
    }
    if (at >= start && at <= i) return token(text, start, i, at);
  }
  return token(text, at, at, at);
}

function token(text: string, start: number, end: number, caret: number): QueryToken {
  const typed = text.slice(start, caret);
  const negated = typed.startsWith("-");
  const body = negated ? typed.slice(1) : typed;
  const match = FIELD_START.exec(body);
  if (!match) return { start, end, typed, negated, field: null };
  const [head, name = "", op = ""] = match;
  let value = body.slice(head.length);
  const quoted = value.startsWith('"');
  if (quoted) {
    value = value.slice(1);
    if (value.endsWith('"')) value = value.slice(0, -1);
  }
  return {
    start,
    end,
    typed,
    negated,
    field: {
      name: name.toLowerCase(),
      op,
      valueStart: start + (negated ? 1 : 0) + head.length,
      value,
      quoted,
    },
  };
}

/** A value as the grammar takes it: quoted when it has a space or is the word `OR`. */
export function quoteValue(value: string): string {
  return PLAIN_VALUE.test(value) && value !== "OR" ? value : `"${value}"`;
}

export interface SuggestOptions {
  /** Offer every field even where nothing is typed yet (the list asked for with ArrowDown). */
  all?: boolean;
}

/**
 * The term at the caret and what may complete it, best first. Nothing is offered while the
 * caret is inside a term (only at its end), for free text, for an unknown field, or for a
 * value already typed in full.
 */
export function suggest(
  text: string,
  caret: number,
  vocabulary: Vocabulary,
  options: SuggestOptions = {},
): { token: QueryToken; suggestions: Suggestion[] } {
  const token = tokenAt(text, caret);
  const none = { token, suggestions: [] };
  if (caret < token.end) return none;
  if (!token.field) {
    const partial = token.negated ? token.typed.slice(1) : token.typed;
    if (!/^[A-Za-z_]*$/.test(partial)) return none;
    if (!partial && !options.all) return none;
    return { token, suggestions: fieldSuggestions(partial.toLowerCase()) };
  }
  const { name, op, value } = token.field;
  if (!(FIELDS as readonly string[]).includes(name)) return none;
  if (op !== ":" && !DATE_FIELDS.has(name)) return none;
  const wanted = name === "assignee" ? value.replace(/^@/, "") : value;
  const lowered = wanted.toLowerCase();
  const ranked = rank(candidates(name as FieldName, op, wanted, vocabulary), lowered).filter(
    (c) => c.value.toLowerCase() !== lowered,
  );
  return {
    token,
    suggestions: ranked.slice(0, MAX_SUGGESTIONS).map((c) => ({
      kind: "value",
      label: c.value,
      text: quoteValue(c.value),
      detail: c.detail,
    })),
  };
}

function fieldSuggestions(partial: string): Suggestion[] {
  const out: Suggestion[] = [];
  for (const name of FIELDS) {
    if (!name.startsWith(partial)) continue;
    if (DATE_FIELDS.has(name)) {
      for (const [op, detail] of DATE_OPS) {
        out.push({ kind: "field", label: `${name}${op}`, text: `${name}${op}`, detail });
      }
    } else {
      out.push({ kind: "field", label: `${name}:`, text: `${name}:`, detail: FIELD_HELP[name] });
    }
  }
  return out;
}

interface Candidate {
  value: string;
  detail: string;
  /** More words it may be found by (a person's name). */
  also?: string;
}

function candidates(
  name: FieldName,
  op: string,
  typed: string,
  vocabulary: Vocabulary,
): Candidate[] {
  const help = VALUE_HELP[name] ?? {};
  const fixed = (values: readonly string[]) =>
    values.map((value) => ({ value, detail: help[value] ?? "" }));
  switch (name) {
    case "assignee":
      return [
        ...fixed(["me", "none"]),
        ...(vocabulary.people ?? []).flatMap((p) =>
          p.handle ? [{ value: p.handle, detail: p.name, also: p.name }] : [],
        ),
      ];
    case "status": {
      const names = (vocabulary.statuses ?? []).map((value) => ({ value, detail: "status" }));
      const categories = STATUS_CATEGORIES.map((value) => ({
        value,
        detail: "any status of the category",
      }));
      return [...names, ...categories];
    }
    case "label":
      return (vocabulary.labels ?? []).map((value) => ({ value, detail: "label" }));
    case "priority":
      return fixed(PRIORITY_VALUES);
    case "project":
      return (vocabulary.projects ?? []).map((p) => ({
        value: p.key,
        detail: p.name,
        also: p.name,
      }));
    case "is":
      return fixed(IS_VALUES);
    case "parent":
      return fixed(["none"]);
    default:
      return dateCandidates(op, typed);
  }
}

function dateCandidates(op: string, typed: string): Candidate[] {
  // A sign starts a number of days or weeks, never a word.
  const signed = typed.startsWith("-") || typed.startsWith("+");
  const words = DATE_WORDS.filter((w) => !signed && (op === ":" || w !== "none")).map((value) => ({
    value,
    detail: DATE_HELP[value] ?? "",
  }));
  const number = NUMBER.exec(typed);
  const relative = number
    ? [`${typed}d`, `${typed}w`]
    : typed === "" || typed === "-" || typed === "+"
      ? [...RELATIVE_EXAMPLES]
      : [];
  return [...words, ...relative.map((value) => ({ value, detail: describeRelative(value) }))];
}

/** `-7d` → "7 days ago", `+2w` → "in 2 weeks", `1d` → "in 1 day". */
export function describeRelative(value: string): string {
  const match = /^([+-]?)(\d{1,4})([dw])$/.exec(value);
  if (!match) return "";
  const [, sign, count = "", unit] = match;
  const noun = `${unit === "w" ? "week" : "day"}${count === "1" ? "" : "s"}`;
  return sign === "-" ? `${count} ${noun} ago` : `in ${count} ${noun}`;
}

/** The candidates `typed` matches, without repeats (any case): those that start with it, then
 * those with a word that does, then those that contain it (three letters or more); each kind in
 * the given order. */
function rank(list: Candidate[], typed: string): Candidate[] {
  const seen = new Set<string>();
  const scored: Array<[number, number, Candidate]> = [];
  list.forEach((candidate, index) => {
    const key = candidate.value.toLowerCase();
    if (!candidate.value || candidate.value.includes('"') || seen.has(key)) return;
    const score = Math.min(
      scoreOf(key, typed),
      candidate.also ? scoreOf(candidate.also.toLowerCase(), typed) + 0.5 : 9,
    );
    if (score > 3) return;
    seen.add(key);
    scored.push([score, index, candidate]);
  });
  scored.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return scored.map(([, , candidate]) => candidate);
}

function scoreOf(text: string, typed: string): number {
  if (text.startsWith(typed)) return 0;
  if (text.split(/[\s._-]+/).some((word) => word.startsWith(typed))) return 1;
  // Inside a word only from three letters on: one or two match nearly everything.
  if (typed.length >= 3 && text.includes(typed)) return 2;
  return 9;
}

/**
 * `text` with `suggestion` in place of the term at `token`: a field name replaces the whole
 * term after its `-` and leaves the caret after the operator, ready for a value; a value
 * replaces the value and is followed by a space, with the caret after it.
 */
export function applySuggestion(
  text: string,
  token: QueryToken,
  suggestion: Suggestion,
): { text: string; caret: number } {
  const after = text.slice(token.end);
  if (suggestion.kind === "field" || !token.field) {
    const from = token.start + (token.negated ? 1 : 0);
    return {
      text: text.slice(0, from) + suggestion.text + after,
      caret: from + suggestion.text.length,
    };
  }
  const from = token.field.valueStart;
  const spaced = SPACE.test(after.charAt(0)) ? after : ` ${after}`;
  return {
    text: text.slice(0, from) + suggestion.text + spaced,
    caret: from + suggestion.text.length + 1,
  };
}
