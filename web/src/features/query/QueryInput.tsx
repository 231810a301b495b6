/**
 * A text box for the task query language that suggests while you type: field names with their
 * operator (`assi` → `assignee:`), then the field's values (`me`, handles, statuses, labels,
 * priorities, project keys, date words). ArrowDown and ArrowUp move through the list (ArrowDown
 * also opens it: every field where nothing is typed yet), Enter takes the option moved to, Tab
 * the one moved to or else the first, Escape closes the list and only the list; otherwise Enter
 * and Escape do what the page gives them. The box keeps the focus and points at the option
 * (the ARIA 1.2 combobox pattern); what a pick changes is only the term at the caret.
 *
 * The label goes outside (a `<label htmlFor>` or `aria-label`): a `<label>` around the box would
 * read the options into its name.
 */
import {
  type InputHTMLAttributes,
  type KeyboardEvent,
  type RefObject,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
} from "react";
import {
  applySuggestion,
  type QueryToken,
  type Suggestion,
  suggest,
  type Vocabulary,
} from "./complete";
import "./query.css";

type Props = Omit<InputHTMLAttributes<HTMLInputElement>, "value" | "onChange" | "role"> & {
  value: string;
  /** The new text: typed, or with a suggestion in place. */
  onChange: (text: string) => void;
  /** The names to suggest (statuses, labels, people, projects). */
  vocabulary: Vocabulary;
  inputRef?: RefObject<HTMLInputElement | null>;
  /** A class for the element around the box and its list (it places the list). */
  wrapperClassName?: string;
};

const keyOf = (token: QueryToken, count: number) => `${token.start}:${token.typed}:${count}`;

export function QueryInput({
  value,
  onChange,
  vocabulary,
  inputRef,
  wrapperClassName,
  onKeyDown,
  onBlur,
  onFocus,
  onSelect,
  ...rest
}: Props) {
  const own = useRef<HTMLInputElement>(null);
  const ref = inputRef ?? own;
  const popupRef = useRef<HTMLDivElement>(null);
  const ids = useId();
  const listId = `${ids}-suggestions`;
  const optionId = (i: number) => `${ids}-suggestion-${i}`;
  /** The caret while the box has the focus and nothing is selected; else null. */
  const [caret, setCaret] = useState<number | null>(null);
  /** The text whose list Escape closed: it stays closed until the text changes. */
  const [dismissed, setDismissed] = useState<string | null>(null);
  /** `caret:text` where ArrowDown asked for every field. */
  const [askedAll, setAskedAll] = useState<string | null>(null);
  const [pick, setPick] = useState({ key: "", index: -1 });
  const [left, setLeft] = useState(0);
  const pendingCaret = useRef<number | null>(null);

  const result =
    caret === null
      ? null
      : suggest(value, caret, vocabulary, { all: askedAll === `${caret}:${value}` });
  const options = result && dismissed !== value ? result.suggestions : [];
  const open = options.length > 0;
  const key = result ? keyOf(result.token, options.length) : "";
  const index = pick.key === key ? Math.min(pick.index, options.length - 1) : -1;
  const tokenStart = open && result ? result.token.start : null;

  // Put the caret after a picked suggestion once the new text is in the box.
  useLayoutEffect(() => {
    const box = ref.current;
    const at = pendingCaret.current;
    if (!box || at === null || box.value !== value) return;
    pendingCaret.current = null;
    box.setSelectionRange(at, at);
  }, [value, ref]);

  // The list starts under the term it completes, inside the box's width.
  useLayoutEffect(() => {
    const box = ref.current;
    const popup = popupRef.current;
    if (tokenStart === null || !box || !popup) return;
    const style = getComputedStyle(box);
    const inset =
      Number.parseFloat(style.paddingLeft || "0") + Number.parseFloat(style.borderLeftWidth || "0");
    const x = inset + textWidth(style, box.value.slice(0, tokenStart)) - box.scrollLeft;
    setLeft(Math.round(Math.max(0, Math.min(x, box.offsetWidth - popup.offsetWidth))));
  }, [tokenStart, ref]);

  // The option moved to stays in sight in a list that scrolls.
  useEffect(() => {
    if (index >= 0)
      document.getElementById(`${ids}-suggestion-${index}`)?.scrollIntoView?.({ block: "nearest" });
  }, [index, ids]);

  function track() {
    const box = ref.current;
    if (!box || document.activeElement !== box) return;
    setCaret(box.selectionStart === box.selectionEnd ? box.selectionStart : null);
  }

  function choose(suggestion: Suggestion | undefined) {
    if (!suggestion || !result) return;
    const next = applySuggestion(value, result.token, suggestion);
    pendingCaret.current = next.caret;
    setCaret(next.caret);
    setPick({ key: "", index: -1 });
    onChange(next.text);
  }

  function keyDown(e: KeyboardEvent<HTMLInputElement>) {
    const plain = !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey;
    if (plain && e.key === "ArrowDown") {
      if (open) {
        e.preventDefault();
        setPick({ key, index: (index + 1) % options.length });
        return;
      }
      // Closed: open it, with every field where nothing is typed yet.
      const at = e.currentTarget.selectionStart;
      if (at !== null && at === e.currentTarget.selectionEnd) {
        const all = suggest(value, at, vocabulary, { all: true });
        if (all.suggestions.length) {
          e.preventDefault();
          setCaret(at);
          setDismissed(null);
          setAskedAll(`${at}:${value}`);
          setPick({ key: keyOf(all.token, all.suggestions.length), index: 0 });
          return;
        }
      }
    }
    if (open) {
      if (plain && e.key === "ArrowUp") {
        e.preventDefault();
        setPick({ key, index: index <= 0 ? options.length - 1 : index - 1 });
        return;
      }
      if (plain && e.key === "Enter" && index >= 0) {
        e.preventDefault();
        choose(options[index]);
        return;
      }
      if (plain && e.key === "Tab") {
        e.preventDefault();
        choose(options[Math.max(0, index)]);
        return;
      }
      if (e.key === "Escape") {
        // Closes the list only: the box keeps the focus, and nothing around it closes.
        e.preventDefault();
        e.stopPropagation();
        setDismissed(value);
        return;
      }
    }
    onKeyDown?.(e);
  }

  return (
    <div className={`query-combo${wrapperClassName ? ` ${wrapperClassName}` : ""}`}>
      <input
        autoComplete="off"
        spellCheck={false}
        {...rest}
        ref={ref}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={open ? listId : undefined}
        aria-activedescendant={open && index >= 0 ? optionId(index) : undefined}
        value={value}
        onChange={(e) => {
          const box = e.currentTarget;
          setCaret(box.selectionStart === box.selectionEnd ? box.selectionStart : null);
          setDismissed(null);
          onChange(box.value);
        }}
        onSelect={(e) => {
          track();
          onSelect?.(e);
        }}
        onFocus={(e) => {
          track();
          onFocus?.(e);
        }}
        onBlur={(e) => {
          setCaret(null);
          onBlur?.(e);
        }}
        onKeyDown={keyDown}
      />
      {open && (
        <div className="query-suggest" ref={popupRef} style={{ left }}>
          <div id={listId} role="listbox" aria-label="Suggestions">
            {options.map((option, i) => (
              // biome-ignore lint/a11y/useKeyWithClickEvents: the box handles the keys
              <div
                key={`${option.kind}:${option.label}`}
                id={optionId(i)}
                role="option"
                tabIndex={-1}
                aria-selected={i === index}
                className="query-option"
                // Keep the focus (and the caret) in the box.
                onMouseDown={(e) => e.preventDefault()}
                onMouseEnter={() => setPick({ key, index: i })}
                onClick={() => choose(option)}
              >
                <span className="query-option-text">{option.label}</span>
                {option.detail && <span className="query-option-detail">{option.detail}</span>}
              </div>
            ))}
          </div>
          <p className="query-suggest-keys" aria-hidden="true">
            <kbd>↑</kbd>
            <kbd>↓</kbd> choose · <kbd>Enter</kbd> or <kbd>Tab</kbd> insert · <kbd>Esc</kbd> close
          </p>
        </div>
      )}
      <span className="sr-only" role="status">
        {open
          ? `${options.length} ${options.length === 1 ? "suggestion" : "suggestions"}: up and down arrows to choose, Enter or Tab to insert.`
          : ""}
      </span>
    </div>
  );
}

let canvas: HTMLCanvasElement | null = null;

/** How wide `text` is drawn in the box's font (0 where the browser cannot measure). */
function textWidth(style: CSSStyleDeclaration, text: string): number {
  if (!text) return 0;
  try {
    canvas ??= document.createElement("canvas");
    const context = canvas.getContext("2d");
    if (!context) return 0;
    context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    return context.measureText(text).width;
  } catch {
    return 0;
  }
}
