/** The signed-in person's account: profile, avatar colour, time zone, theme, notifications,
 * password, where it is signed in, and API tokens. */
import { type FormEvent, useId, useState } from "react";
import { ApiError } from "../../api/client";
import type { User } from "../../api/types";
import { AVATAR_PALETTE, Avatar } from "../../app/ui";
import { useMe } from "../auth/api";
import { StrengthMeter } from "../auth/StrengthMeter";
import { contextWords, MIN_LENGTH, passwordStrength } from "../auth/strength";
import { NotificationSettings } from "../notifications/NotificationSettings";
import type { ThemeChoice } from "../shell/theme";
import { ApiTokens } from "./ApiTokens";
import {
  browserTimeZone,
  fieldProblem,
  matchZones,
  timeZones,
  useAccountPreferences,
  useChangePassword,
  useUpdateMe,
} from "./api";
import { CalendarFeed } from "./CalendarFeed";
import { Passkeys } from "./Passkeys";
import { Sessions } from "./Sessions";
import { TwoFactor } from "./TwoFactor";
import "./settings.css";

function problemText(error: unknown, fallback: string): string {
  if (error instanceof ApiError) {
    if (error.code === "handle_taken") return "That handle is taken. Try another one.";
    return error.userMessage;
  }
  return fallback;
}

export function AccountPage() {
  const me = useMe().data;
  if (!me) return null;
  return (
    <main className="page settings-page">
      <h1>Account</h1>
      <Profile me={me} />
      <Preferences me={me} />
      <NotificationSettings />
      <PasswordSection me={me} />
      <TwoFactor me={me} />
      <Passkeys />
      <Sessions />
      <ApiTokens me={me} />
      <CalendarFeed />
    </main>
  );
}

function Profile({ me }: { me: User }) {
  const update = useUpdateMe();
  const [color, setColor] = useState<string | null>(me.avatar_color);
  const [name, setName] = useState(me.name);
  const [saved, setSaved] = useState(false);
  const handleError = fieldProblem(update.error, "handle");
  const nameError = fieldProblem(update.error, "name");

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const handle = String(form.get("handle") ?? "").trim();
    setSaved(false);
    update.mutate(
      { name: name.trim(), handle: handle || null, avatar_color: color },
      { onSuccess: () => setSaved(true) },
    );
  }

  return (
    <section aria-labelledby="profile-title" className="settings-card">
      <h2 id="profile-title">Profile</h2>
      <form
        className="settings-form"
        onSubmit={submit}
        onChange={() => {
          setSaved(false);
          update.reset();
        }}
      >
        <div className="profile-preview">
          <Avatar id={me.id} name={name || me.name} color={color} size={48} />
          <span className="muted small">{me.email}</span>
        </div>
        <label>
          Name
          <input
            name="name"
            required
            maxLength={200}
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoComplete="name"
            aria-invalid={nameError ? true : undefined}
          />
        </label>
        {nameError && <p className="form-error">{nameError}</p>}
        <label>
          Handle
          <span className="handle-input">
            <span aria-hidden="true">@</span>
            <input
              name="handle"
              defaultValue={me.handle ?? ""}
              minLength={2}
              maxLength={32}
              pattern="[A-Za-z0-9_\-]+"
              title="2 to 32 letters, digits, _ or -"
              autoComplete="username"
              aria-describedby="handle-hint"
              aria-invalid={handleError || update.error ? true : undefined}
            />
          </span>
          <span id="handle-hint" className="hint">
            Optional. Letters, digits, _ and -; others can find you by it.
          </span>
        </label>
        {handleError && <p className="form-error">{handleError}</p>}
        <fieldset className="swatches">
          <legend>Avatar colour</legend>
          <label className="swatch" title="Automatic">
            <input
              type="radio"
              name="avatar_color"
              checked={color === null}
              onChange={() => setColor(null)}
            />
            <span className="swatch-dot auto" aria-hidden="true" />
            <span className="sr-only">Automatic</span>
          </label>
          {Object.entries(AVATAR_PALETTE).map(([key, hex]) => (
            <label key={key} className="swatch" title={key}>
              <input
                type="radio"
                name="avatar_color"
                value={key}
                checked={color === key}
                onChange={() => setColor(key)}
              />
              <span className="swatch-dot" style={{ background: hex }} aria-hidden="true" />
              <span className="sr-only">{key}</span>
            </label>
          ))}
        </fieldset>
        {update.isError && !handleError && !nameError && (
          <p className="form-error" role="alert">
            {problemText(update.error, "The profile was not saved.")}
          </p>
        )}
        <div className="settings-actions">
          <button type="submit" className="primary" disabled={update.isPending}>
            Save profile
          </button>
          {saved && (
            <span role="status" className="saved">
              Saved.
            </span>
          )}
        </div>
      </form>
    </section>
  );
}

const THEMES: Array<[ThemeChoice, string]> = [
  ["light", "Light"],
  ["dark", "Dark"],
  ["system", "Same as the system"],
];

function Preferences({ me }: { me: User }) {
  const update = useUpdateMe();
  const [theme, setTheme] = useAccountPreferences(me);
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState("");
  const listId = useId();
  const own = browserTimeZone();
  const current = me.time_zone ?? own;
  const zones = matchZones(timeZones(own, me.time_zone), query);
  if (!zones.includes(current)) zones.unshift(current);

  function chooseZone(zone: string) {
    setStatus("");
    update.mutate(
      { time_zone: zone },
      { onSuccess: () => setStatus(`Times now show in ${zone.replace(/_/g, " ")}.`) },
    );
  }

  return (
    <section aria-labelledby="prefs-title" className="settings-card">
      <h2 id="prefs-title">Preferences</h2>
      <div className="settings-form">
        <fieldset className="zone-picker">
          <legend>Time zone</legend>
          <p className="muted small">
            Now: <strong>{current.replace(/_/g, " ")}</strong>
            {me.time_zone ? "" : " (this browser's)"}
          </p>
          <input
            type="search"
            aria-label="Find a time zone"
            aria-controls={listId}
            placeholder="Search, e.g. Berlin or New York"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          <select
            id={listId}
            aria-label="Time zone"
            size={6}
            value={current}
            onChange={(e) => chooseZone(e.target.value)}
          >
            {zones.map((z) => (
              <option key={z} value={z}>
                {z.replace(/_/g, " ")}
              </option>
            ))}
          </select>
          {me.time_zone && (
            <button
              type="button"
              className="link small"
              onClick={() =>
                update.mutate(
                  { time_zone: null },
                  { onSuccess: () => setStatus("Times now show in this browser's zone.") },
                )
              }
            >
              Use this browser's time zone ({own.replace(/_/g, " ")})
            </button>
          )}
        </fieldset>
        <fieldset className="theme-picker">
          <legend>Theme</legend>
          {THEMES.map(([value, label]) => (
            <label key={value} className="inline">
              <input
                type="radio"
                name="theme"
                value={value}
                checked={theme === value}
                onChange={() => setTheme(value)}
              />
              {label}
            </label>
          ))}
        </fieldset>
        {update.isError && (
          <p className="form-error" role="alert">
            {problemText(update.error, "The preference was not saved.")}
          </p>
        )}
        <p role="status" className="saved">
          {status}
        </p>
      </div>
    </section>
  );
}

function PasswordSection({ me }: { me: User & { has_password?: boolean } }) {
  const change = useChangePassword();
  // An account made by single sign-on sets its first password without a current one.
  const first = me.has_password === false;
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const strength = passwordStrength(password, contextWords(me.name, me.email, me.handle ?? ""));
  const currentError = fieldProblem(change.error, "current_password");
  const newError = fieldProblem(change.error, "new_password");

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    setDone(false);
    change.mutate(
      first
        ? { new_password: password }
        : { current_password: String(data.get("current_password") ?? ""), new_password: password },
      {
        onSuccess: () => {
          form.reset();
          setPassword("");
          setDone(true);
        },
      },
    );
  }

  return (
    <section aria-labelledby="password-title" className="settings-card">
      <h2 id="password-title">Password</h2>
      {first && (
        <p className="muted">
          You sign in with single sign-on and have no Tasklane password. Set one to sign in without
          your identity provider too.
        </p>
      )}
      <form className="settings-form" onSubmit={submit} aria-labelledby="password-title">
        {!first && (
          <label>
            Current password
            <input
              name="current_password"
              type="password"
              required
              autoComplete="current-password"
              aria-invalid={currentError ? true : undefined}
            />
          </label>
        )}
        {currentError && <p className="form-error">{currentError}</p>}
        <label>
          New password
          <input
            name="new_password"
            type="password"
            required
            minLength={MIN_LENGTH}
            autoComplete="new-password"
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              setDone(false);
            }}
            aria-describedby="new-password-strength"
            aria-invalid={newError ? true : undefined}
          />
        </label>
        <StrengthMeter id="new-password-strength" password={password} strength={strength} />
        {newError && <p className="form-error">{newError}</p>}
        {change.isError && !currentError && !newError && (
          <p className="form-error" role="alert">
            {problemText(change.error, "The password was not changed.")}
          </p>
        )}
        <div className="settings-actions">
          <button type="submit" className="primary" disabled={change.isPending}>
            {first ? "Set password" : "Change password"}
          </button>
          {done && (
            <span role="status" className="saved">
              Password changed. Your other sign-ins have been signed out.
            </span>
          )}
        </div>
      </form>
    </section>
  );
}
