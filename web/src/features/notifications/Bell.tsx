/** The bell in the shell: a link to the inbox with the live unread count. */
import { NavLink } from "react-router";
import { useUnreadCount } from "./api";
import { badgeText, bellLabel } from "./badge";
import "./notifications.css";

export function Bell({ className = "" }: { className?: string }) {
  const count = useUnreadCount().data;
  const text = badgeText(count);
  const label = bellLabel(count);
  return (
    <NavLink to="/inbox" className={`bell ${className}`} aria-label={label} title={label}>
      <svg
        className="bell-icon"
        width="20"
        height="20"
        viewBox="0 0 24 24"
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinecap="round"
        strokeLinejoin="round"
        aria-hidden="true"
      >
        <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
        <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
      </svg>
      {text && (
        <span className="bell-badge" aria-hidden="true" data-count={count}>
          {text}
        </span>
      )}
    </NavLink>
  );
}
