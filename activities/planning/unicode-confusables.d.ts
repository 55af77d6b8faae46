/** unicode-confusables ships its declarations under a name TypeScript does not find (index.ts.d). */
declare module 'unicode-confusables' {
  export function isConfusing(text: string): boolean;
  export function confusables(text: string): { point: string; similarTo?: string }[];
  export function rectifyConfusion(text: string): string;
}
