/** Attachments for the unit tests. */
import type { Attachment } from "./files";

export function attachment(fields: Partial<Attachment> = {}): Attachment {
  const id = fields.id ?? "a1";
  return {
    id,
    task_id: "t1",
    comment_id: null,
    filename: "shot.png",
    content_type: "image/png",
    size: 2048,
    sha256: "",
    width: null,
    height: null,
    created_by: "u1",
    created_at: "2026-12-01T10:00:00Z",
    url: `/api/v1/attachments/${id}/content`,
    thumbnail_url: null,
    ...fields,
  };
}
