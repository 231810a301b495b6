/** A secret shown this once (a new API token, a webhook's signing secret): focused and selected
 * in a read-only field, with a warning, a Copy button and Done. Styles in settings.css. */
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { copyOrSelect } from "../../lib/clipboard";
import "./settings.css";

export function OneTimeSecret({
  title,
  label,
  value,
  onDone,
  once = "Copy it now: it will not be shown again.",
  children,
}: {
  /** What was made; also the panel's accessible name. */
  title: ReactNode;
  /** The field's label. */
  label: string;
  value: string;
  onDone: () => void;
  once?: ReactNode;
  /** More to say under the field (how to use the secret). */
  children?: ReactNode;
}) {
  const field = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState("");
  const ids = useId();

  useEffect(() => {
    field.current?.focus();
    field.current?.select();
  }, []);

  async function copy() {
    setStatus(await copyOrSelect(value, field.current));
  }

  return (
    <section className="token-created" aria-labelledby={`${ids}-title`}>
      <p id={`${ids}-title`} className="token-created-title">
        {title}
      </p>
      <p id={`${ids}-once`} className="token-once">
        {once}
      </p>
      <label htmlFor={`${ids}-secret`}>{label}</label>
      <div className="token-copy">
        <input
          id={`${ids}-secret`}
          className="token-secret"
          ref={field}
          readOnly
          value={value}
          spellCheck={false}
          autoComplete="off"
          aria-describedby={`${ids}-once`}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" className="primary" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      {children}
      <div className="settings-actions">
        <button type="button" onClick={onDone}>
          Done
        </button>
        <p role="status" className="saved">
          {status}
        </p>
      </div>
    </section>
  );
}
