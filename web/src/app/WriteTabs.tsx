/** The Write / Preview switch of a Markdown field (task description, comment, new task). */
export type WriteTab = "write" | "preview";

export function WriteTabs({
  label,
  tab,
  onTab,
  idPrefix,
}: {
  label: string;
  tab: WriteTab;
  onTab: (tab: WriteTab) => void;
  /** Gives the tabs ids (`<prefix>-write`, `<prefix>-preview`) for a panel's aria-labelledby. */
  idPrefix?: string;
}) {
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      <button
        type="button"
        role="tab"
        id={idPrefix && `${idPrefix}-write`}
        aria-selected={tab === "write"}
        onClick={() => onTab("write")}
      >
        Write
      </button>
      <button
        type="button"
        role="tab"
        id={idPrefix && `${idPrefix}-preview`}
        aria-selected={tab === "preview"}
        onClick={() => onTab("preview")}
      >
        Preview
      </button>
    </div>
  );
}
