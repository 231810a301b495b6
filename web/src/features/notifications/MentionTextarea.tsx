/**
 * A Markdown text box that suggests people to @mention: typing `@` and the start of a handle or
 * a name lists up to eight of the project's people under the caret; the arrow keys choose, Enter
 * or Tab inserts `@handle `, Escape closes the list (and only the list). The text box keeps the
 * focus and points at the chosen option (`aria-activedescendant`); a status line tells screen
 * readers that suggestions are there.
 */
import {
  type KeyboardEvent,
  type TextareaHTMLAttributes,
  useId,
  useLayoutEffect,
  useRef,
  useState,
} from "react";
import type { Person } from "../../api/types";
import { Avatar } from "../../app/ui";
import { usePeople } from "../projects/api";
import { insertMention, matchPeople, mentionAt } from "./mentions";
import "./notifications.css";

type Props = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "value" | "onChange"> & {
  /** Whose people are suggested. */
  projectId: string | undefined;
  value: string;
  onChange: (text: string) => void;
};

const NONE: Person[] = [];

export function MentionTextarea({
  projectId,
  value,
  onChange,
  onKeyDown,
  onBlur,
  onSelect,
  ...rest
}: Props) {
  const people = usePeople(projectId).data ?? NONE;
  return (
    <MentionBox
      {...rest}
      people={people}
      value={value}
      onChange={onChange}
      onKeyDown={onKeyDown}
      onBlur={onBlur}
      onSelect={onSelect}
    />
  );
}

/** The text box with a given list of people (MentionTextarea loads the project's). */
export function MentionBox({
  people,
  value,
  onChange,
  onKeyDown,
  onBlur,
  onSelect,
  ...rest
}: Omit<Props, "projectId"> & { people: readonly Person[] }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const ids = useId();
  /** The caret while the box has the focus and nothing is selected; else null. */
  const [caret, setCaret] = useState<number | null>(null);
  /** The `@` whose list Escape closed: it stays closed until another mention starts. */
  const [dismissed, setDismissed] = useState<number | null>(null);
  const [pick, setPick] = useState({ key: "", index: 0 });
  const [place, setPlace] = useState<{ top: number; left: number } | null>(null);
  const pendingCaret = useRef<number | null>(null);

  const token = caret === null ? null : mentionAt(value, caret);
  const options = token && token.start !== dismissed ? matchPeople(people, token.query) : [];
  const open = options.length > 0;
  const key = token ? `${token.start}:${token.query}` : "";
  const index = pick.key === key ? Math.min(pick.index, options.length - 1) : 0;
  const optionId = (i: number) => `${ids}-mention-${i}`;

  // Put the caret after an inserted mention once the new text is in the box.
  useLayoutEffect(() => {
    const box = ref.current;
    const at = pendingCaret.current;
    if (!box || at === null || box.value !== value) return;
    pendingCaret.current = null;
    box.setSelectionRange(at, at);
  }, [value]);

  // The list sits under the `@` being typed.
  const anchor = open && token ? token.start : null;
  useLayoutEffect(() => {
    const box = ref.current;
    if (anchor === null || !box) {
      setPlace(null);
      return;
    }
    const at = caretCoordinates(box, anchor);
    const width = Math.min(280, box.clientWidth);
    setPlace({
      top: box.offsetTop + at.top + at.height + 2,
      left: box.offsetLeft + Math.max(0, Math.min(at.left, box.clientWidth - width)),
    });
  }, [anchor]);

  function track() {
    const box = ref.current;
    if (!box || document.activeElement !== box) return;
    setCaret(box.selectionStart === box.selectionEnd ? box.selectionStart : null);
  }

  function choose(person: Person | undefined) {
    if (!person?.handle || !token || caret === null) return;
    const next = insertMention(value, token, caret, person.handle);
    pendingCaret.current = next.caret;
    setCaret(next.caret);
    onChange(next.text);
  }

  function keyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (open && token) {
      const plain = !e.ctrlKey && !e.metaKey && !e.altKey;
      if (plain && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
        e.preventDefault();
        const step = e.key === "ArrowDown" ? 1 : -1;
        setPick({ key, index: (index + step + options.length) % options.length });
        return;
      }
      if (plain && !e.shiftKey && (e.key === "Enter" || e.key === "Tab")) {
        e.preventDefault();
        choose(options[index]);
        return;
      }
      if (e.key === "Escape") {
        // Closes the list only: not the editor, nor the task around it.
        e.preventDefault();
        e.stopPropagation();
        setDismissed(token.start);
        return;
      }
    }
    onKeyDown?.(e);
  }

  return (
    <div className="mention-field">
      <textarea
        {...rest}
        ref={ref}
        value={value}
        aria-autocomplete="list"
        aria-controls={open ? `${ids}-mentions` : undefined}
        aria-activedescendant={open ? optionId(index) : undefined}
        onChange={(e) => {
          const box = e.currentTarget;
          setCaret(box.selectionStart === box.selectionEnd ? box.selectionStart : null);
          if (dismissed !== null && !mentionAt(box.value, box.selectionStart)) setDismissed(null);
          onChange(box.value);
        }}
        onSelect={(e) => {
          track();
          onSelect?.(e);
        }}
        onFocus={(e) => {
          track();
          rest.onFocus?.(e);
        }}
        onBlur={(e) => {
          setCaret(null);
          onBlur?.(e);
        }}
        onKeyDown={keyDown}
      />
      {open && (
        <div
          id={`${ids}-mentions`}
          role="listbox"
          aria-label="People to mention"
          className="mention-list"
          style={place ? { top: place.top, left: place.left } : undefined}
        >
          {options.map((p, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the text box handles the keys
            <div
              key={p.user_id}
              id={optionId(i)}
              role="option"
              tabIndex={-1}
              aria-selected={i === index}
              className="mention-option"
              // Keep the focus (and the caret) in the text box.
              onMouseDown={(e) => e.preventDefault()}
              onMouseEnter={() => setPick({ key, index: i })}
              onClick={() => choose(p)}
            >
              <span aria-hidden="true">
                <Avatar id={p.user_id} name={p.name} color={p.avatar_color} size={20} />
              </span>
              <span className="mention-name">{p.name}</span>
              <span className="mention-handle">@{p.handle}</span>
            </div>
          ))}
        </div>
      )}
      <span className="sr-only" role="status">
        {open
          ? `${options.length} ${options.length === 1 ? "person" : "people"} to mention; up and down arrows to choose, Enter to insert.`
          : ""}
      </span>
    </div>
  );
}

const MIRRORED = [
  "boxSizing",
  "width",
  "borderTopWidth",
  "borderRightWidth",
  "borderBottomWidth",
  "borderLeftWidth",
  "paddingTop",
  "paddingRight",
  "paddingBottom",
  "paddingLeft",
  "fontStyle",
  "fontVariant",
  "fontWeight",
  "fontSize",
  "fontFamily",
  "lineHeight",
  "letterSpacing",
  "wordSpacing",
  "tabSize",
  "textTransform",
  "textIndent",
] as const;

/** Where in `box` (relative to its padding box's top left, scrolled) character `at` is drawn:
 * measured on an invisible copy of the box's text up to it. */
function caretCoordinates(
  box: HTMLTextAreaElement,
  at: number,
): { top: number; left: number; height: number } {
  const style = getComputedStyle(box);
  const mirror = document.createElement("div");
  for (const name of MIRRORED) mirror.style[name] = style[name];
  Object.assign(mirror.style, {
    position: "absolute",
    visibility: "hidden",
    top: "0",
    left: "-9999px",
    whiteSpace: "pre-wrap",
    overflowWrap: "break-word",
    overflow: "hidden",
    height: "auto",
  });
  mirror.textContent = box.value.slice(0, at);
  const mark = document.createElement("span");
  mark.textContent = box.value.slice(at) || ".";
  mirror.appendChild(mark);
  document.body.appendChild(mirror);
  const lineHeight =
    Number.parseFloat(style.lineHeight) || Number.parseFloat(style.fontSize) * 1.3 || 18;
  // The mark is measured from inside the copy's border, as the box's own border is not.
  const top = mark.offsetTop + Number.parseFloat(style.borderTopWidth || "0") - box.scrollTop;
  const left = mark.offsetLeft + Number.parseFloat(style.borderLeftWidth || "0") - box.scrollLeft;
  mirror.remove();
  return {
    top: Math.max(0, Math.min(top, box.clientHeight - lineHeight)),
    left,
    height: lineHeight,
  };
}
