/** What the bell says about the unread count. */

/** The text of the red badge: nothing at 0 (no badge), the number up to 99, then "99+". */
export function badgeText(count: number | undefined): string {
  if (!count || count <= 0) return "";
  return count > 99 ? "99+" : String(count);
}

/** The bell's accessible name. The API counts up to 1000. */
export function bellLabel(count: number | undefined): string {
  if (!count || count <= 0) return "Notifications";
  if (count >= 1000) return "Notifications, more than 999 unread";
  return `Notifications, ${count} unread`;
}
