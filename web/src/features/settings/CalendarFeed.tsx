/** Account settings: the private calendar address (iCalendar) a calendar app subscribes to
 * for the due dates of your open tasks; copy it, or rotate it when it leaked. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useRef, useState } from "react";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { ErrorNote, formatDateTime, Modal, Spinner } from "../../app/ui";
import { copyOrSelect } from "../../lib/clipboard";
import { toast } from "../shell/toasts";

type Feed = components["schemas"]["CalendarFeedRead"];
const KEY = ["calendar-feed"];

/** Asked for only when the person opens the section: the first call makes the address. */
function useCalendarFeed(enabled: boolean) {
  return useQuery({
    queryKey: KEY,
    queryFn: () => unwrap(api.GET("/api/v1/users/me/calendar-feed")),
    enabled,
  });
}

function useRotateCalendarFeed() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/users/me/calendar-feed/rotate")),
    onSuccess: (feed: Feed) => qc.setQueryData(KEY, feed),
  });
}

export function CalendarFeed() {
  const ids = useId();
  const [shown, setShown] = useState(false);
  const feed = useCalendarFeed(shown);
  const rotate = useRotateCalendarFeed();
  const [confirming, setConfirming] = useState(false);
  const [status, setStatus] = useState("");
  const field = useRef<HTMLInputElement>(null);

  return (
    <section aria-labelledby={`${ids}-title`} className="settings-card">
      <h2 id={`${ids}-title`}>Calendar feed</h2>
      <p className="muted small">
        Subscribe to this address in Google Calendar, Outlook or Apple Calendar to see the due dates
        of your open tasks. Anyone with the address can read them: keep it private, and get a new
        one if it leaks.
      </p>
      {!shown ? (
        <div className="settings-actions">
          <button type="button" onClick={() => setShown(true)}>
            Show calendar address
          </button>
        </div>
      ) : feed.isPending ? (
        <Spinner />
      ) : feed.isError ? (
        <ErrorNote error={feed.error} retry={() => void feed.refetch()} />
      ) : (
        <>
          <label htmlFor={`${ids}-url`}>Calendar address</label>
          <div className="token-copy">
            <input
              id={`${ids}-url`}
              className="token-secret"
              ref={field}
              readOnly
              value={feed.data.url}
              spellCheck={false}
              autoComplete="off"
              onFocus={(e) => e.currentTarget.select()}
            />
            <button
              type="button"
              className="primary"
              onClick={async () => setStatus(await copyOrSelect(feed.data.url, field.current))}
            >
              Copy
            </button>
          </div>
          <p className="muted small">
            Add <code>?scope=watching</code> for the tasks you watch, or <code>?project=KEY</code>{" "}
            for one project.
            {feed.data.rotated_at &&
              ` This address was made ${formatDateTime(feed.data.rotated_at)}.`}
          </p>
          <div className="settings-actions">
            <button type="button" className="danger" onClick={() => setConfirming(true)}>
              Get a new address
            </button>
            <p role="status" className="saved">
              {status}
            </p>
          </div>
        </>
      )}
      <Modal open={confirming} onClose={() => setConfirming(false)} title="New calendar address">
        <div className="confirm">
          <h2>Get a new calendar address?</h2>
          <p>
            The current address stops working at once: calendars subscribed to it show nothing new
            until you subscribe them to the new one.
          </p>
          <div className="settings-actions">
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
            <button
              type="button"
              className="primary danger-fill"
              disabled={rotate.isPending}
              onClick={() =>
                rotate.mutate(undefined, {
                  onSuccess: () => {
                    setConfirming(false);
                    setStatus("");
                    toast.info("New calendar address made; the old one no longer works.");
                  },
                })
              }
            >
              Get a new address
            </button>
          </div>
          {rotate.isError && <ErrorNote error={rotate.error} />}
        </div>
      </Modal>
    </section>
  );
}
