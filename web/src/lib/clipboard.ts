/** Copy `text` to the clipboard; where this page has none (an insecure origin, a refused
 * permission), select it in `field` for the person to copy with Ctrl+C. Says which. */
export async function copyOrSelect(
  text: string,
  field: HTMLInputElement | HTMLTextAreaElement | null,
): Promise<string> {
  try {
    if (!navigator.clipboard) throw new Error("No clipboard here");
    await navigator.clipboard.writeText(text);
    return "Copied.";
  } catch {
    field?.focus();
    field?.select();
    return "Selected: press Ctrl+C (⌘C on a Mac) to copy it.";
  }
}
