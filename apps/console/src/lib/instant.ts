/** A `datetime-local` value (the reader's clock) as an instant, or null when empty. */
export function instant(local: string): string | null {
  return local ? new Date(local).toISOString() : null;
}
