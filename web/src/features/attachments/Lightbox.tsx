/** An image at full size, over the page: a modal dialog (focus stays inside, the page is inert),
 * ← and → move between the images it was opened among, Esc closes and focus goes back to
 * what opened it. */
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { formatDateTime } from "../../app/ui";
import { type Attachment, formatBytes } from "./files";

export function Lightbox({
  images,
  index,
  onIndex,
  onClose,
  names,
}: {
  images: Attachment[];
  index: number;
  onIndex: (index: number) => void;
  onClose: () => void;
  names: Map<string, string>;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);
  // Taken while rendering, before anything in the dialog takes focus.
  const [opener] = useState(() => document.activeElement);
  const count = images.length;
  const image = images[Math.min(index, count - 1)];

  useLayoutEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    // The dialog focuses its first link (Download); Close is where Enter should go.
    closeButton.current?.focus();
    return () => {
      if (dialog?.open) dialog.close();
      // The dialog leaves the page with this component: focus goes back where it was.
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, [opener]);

  // The image it showed was removed (by someone else): close when none is left.
  useEffect(() => {
    if (!image) onClose();
  }, [image, onClose]);
  if (!image) return null;

  const at = Math.min(index, count - 1);
  const go = (step: number) => onIndex((at + step + count) % count);
  const who = image.created_by ? names.get(image.created_by) : undefined;
  return (
    <dialog
      ref={ref}
      className="lightbox"
      aria-label={`${image.filename}, image ${at + 1} of ${count}`}
      onClose={onClose}
      onClick={(e) => {
        // A click on the dark backdrop (the dialog itself, not its content) closes it.
        if (e.target === ref.current) onClose();
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          // The dialog closes; the task panel behind it stays open.
          e.stopPropagation();
        } else if (e.key === "ArrowRight" && count > 1) {
          e.preventDefault();
          go(1);
        } else if (e.key === "ArrowLeft" && count > 1) {
          e.preventDefault();
          go(-1);
        }
      }}
    >
      <div className="lightbox-bar">
        <div className="lightbox-title">
          <strong title={image.filename}>{image.filename}</strong>
          <span className="lightbox-meta">
            {count > 1 && `${at + 1} of ${count} · `}
            {formatBytes(image.size)}
            {image.width && image.height ? ` · ${image.width} × ${image.height}` : ""}
            {who ? ` · ${who}` : ""} · {formatDateTime(image.created_at)}
          </span>
        </div>
        <a className="button" href={image.url} download={image.filename}>
          Download
        </a>
        <button type="button" ref={closeButton} onClick={onClose} aria-label="Close (Esc)">
          ✕
        </button>
      </div>
      <div className={`lightbox-stage${count > 1 ? "" : " single"}`}>
        {count > 1 && (
          <button
            type="button"
            className="lightbox-step prev"
            onClick={() => go(-1)}
            aria-label="Previous image (←)"
          >
            ‹
          </button>
        )}
        <img key={image.id} src={image.url} alt={image.filename} />
        {count > 1 && (
          <button
            type="button"
            className="lightbox-step next"
            onClick={() => go(1)}
            aria-label="Next image (→)"
          >
            ›
          </button>
        )}
      </div>
    </dialog>
  );
}
