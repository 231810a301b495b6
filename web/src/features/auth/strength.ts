/**
 * A password strength estimate for the sign-up form, mirroring the server's rule (NIST SP
 * 800-63B: at least 8 characters, not a common or easily guessed one, no composition rules).
 * The server decides with a full estimator (zxcvbn) and a list of ~30,000 breached passwords;
 * this is a small, fast stand-in so people see trouble while they type. When the two disagree,
 * the server's answer is shown at the field.
 */

export const MIN_LENGTH = 8;

export type Strength = {
  /** 0 too short, 1 too common, 2 fair, 3 good, 4 strong. */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  hint: string;
};

// The passwords at the top of every breach list (lower case; digits-only and keyboard runs are
// caught by the patterns below).
const COMMON_WORDS = [
  "password",
  "passw0rd",
  "p@ssword",
  "p@ssw0rd",
  "qwerty",
  "qwertyuiop",
  "asdfghjkl",
  "zxcvbnm",
  "iloveyou",
  "letmein",
  "welcome",
  "admin",
  "administrator",
  "monkey",
  "dragon",
  "football",
  "baseball",
  "sunshine",
  "princess",
  "master",
  "shadow",
  "superman",
  "trustno1",
  "starwars",
  "whatever",
  "freedom",
  "computer",
  "michael",
  "jennifer",
  "charlie",
  "changeme",
  "secret",
  "login",
  "hello",
  "abc",
  "test",
  "tasklane",
];

const SEQUENCES = [
  "abcdefghijklmnopqrstuvwxyz",
  "01234567890",
  "qwertyuiopasdfghjklzxcvbnm",
  "1qaz2wsx3edc4rfv5tgb6yhn7ujm",
];

function isRepeatOrSequence(text: string): boolean {
  if (new Set(text).size <= 2) return true;
  return SEQUENCES.some((seq) => {
    const back = [...seq].reverse().join("");
    return seq.includes(text) || back.includes(text);
  });
}

function isCommon(password: string, context: string[]): boolean {
  const lower = password.toLowerCase();
  // A common word, or one of the user's own details, with a few digits or a symbol around it.
  const core = lower.replace(/^[\d\W_]+|[\d\W_]+$/g, "");
  const rest = lower.length - core.length;
  if (core === "" || isRepeatOrSequence(lower) || isRepeatOrSequence(core)) return true;
  const words = [
    ...COMMON_WORDS,
    ...context.map((w) => w.toLowerCase()).filter((w) => w.length >= 3),
  ];
  return rest <= 4 && words.some((w) => core === w || core === w + w);
}

/** The user's own details, split into words (a password made of them is easy to guess). */
export function contextWords(...details: string[]): string[] {
  return details.flatMap((d) => [d, ...d.split(/[^a-zA-Z0-9]+/)]).filter((w) => w.length >= 3);
}

export function passwordStrength(password: string, context: string[] = []): Strength {
  if (password.length < MIN_LENGTH) {
    return { score: 0, label: "Too short", hint: `Use at least ${MIN_LENGTH} characters.` };
  }
  if (isCommon(password, context)) {
    return {
      score: 1,
      label: "Too common",
      hint: "Attackers try this one first. Try a longer phrase of a few unrelated words.",
    };
  }
  if (password.length < 12) {
    return { score: 2, label: "Fair", hint: "A longer phrase is stronger and easy to remember." };
  }
  if (password.length < 16) return { score: 3, label: "Good", hint: "" };
  return { score: 4, label: "Strong", hint: "" };
}
