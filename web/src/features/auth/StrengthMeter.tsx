/** How strong a new password is, as the sign-up and password-change forms show it. */
import type { Strength } from "./strength";

export function StrengthMeter({
  id,
  password,
  strength,
}: {
  /** The live text's id, for the password field's aria-describedby. */
  id: string;
  password: string;
  strength: Strength;
}) {
  return (
    <div className="strength" data-score={strength.score}>
      <meter
        min={0}
        max={4}
        low={2}
        high={3}
        optimum={4}
        value={password ? strength.score : 0}
        aria-label="Password strength"
        aria-valuetext={password ? strength.label : "No password yet"}
      />
      <span id={id} aria-live="polite">
        {password ? (
          <>
            <strong>{strength.label}</strong>
            {strength.hint && ` · ${strength.hint}`}
          </>
        ) : (
          "At least 8 characters; a phrase of a few words is strong and easy to remember."
        )}
      </span>
    </div>
  );
}
