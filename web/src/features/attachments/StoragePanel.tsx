/** Workspace settings (owners and admins): what the workspace's files take, against its quota. */
import { ErrorNote, Spinner } from "../../app/ui";
import { useStorageUsage } from "./api";
import { formatBytes, storageShare } from "./files";
import "./attachments.css";

/** Past these shares of the quota the meter turns amber, then red. */
const HIGH = 0.8;
const FULL = 0.95;

export function StoragePanel({ workspaceId }: { workspaceId: string }) {
  const usage = useStorageUsage(workspaceId);
  return (
    <section
      aria-labelledby="ws-storage-title"
      className="settings-card storage-panel"
      data-ready={usage.isSuccess ? "true" : undefined}
    >
      <h2 id="ws-storage-title">Storage</h2>
      {usage.isPending && <Spinner label="Loading storage" />}
      {usage.isError && <ErrorNote error={usage.error} retry={() => void usage.refetch()} />}
      {usage.data && <Usage {...usage.data} />}
    </section>
  );
}

function Usage({
  used_bytes: used,
  quota_bytes: quota,
  attachments,
  max_upload_bytes: maxUpload,
}: {
  used_bytes: number;
  quota_bytes: number | null;
  attachments: number;
  max_upload_bytes: number;
}) {
  const share = storageShare({ used_bytes: used, quota_bytes: quota });
  const percent = share === null ? null : Math.round(share * 1000) / 10;
  // A little is not nothing: a few kilobytes of 10 GB reads "under 0.1%", not "0%".
  const percentText = share !== null && share > 0 && percent === 0 ? "under 0.1%" : `${percent}%`;
  const files = attachments === 1 ? "1 file" : `${attachments.toLocaleString("en-US")} files`;
  return (
    <>
      <p className="storage-figures">
        <strong>{formatBytes(used)}</strong> used
        {quota !== null ? (
          <>
            {" "}
            of {formatBytes(quota)}
            <span className="muted"> ({percentText})</span>
          </>
        ) : (
          <span className="muted"> · no quota</span>
        )}
      </p>
      {quota !== null && (
        <meter
          className="storage-meter"
          aria-label="Storage used"
          min={0}
          max={quota}
          low={quota * HIGH}
          high={quota * FULL}
          optimum={0}
          value={Math.min(used, quota)}
          title={`${formatBytes(used)} of ${formatBytes(quota)} (${percentText})`}
        />
      )}
      <p className="muted small">
        {files} on the workspace's tasks, uploads in progress included. Each file can be up to{" "}
        {formatBytes(maxUpload)}.
        {share !== null && share >= FULL && " Uploads are refused once the quota is reached."}
      </p>
    </>
  );
}
