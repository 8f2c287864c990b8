// The few icons the UI needs, as inline SVG (no icon font; emoji fonts are often missing on Linux).
const common = { width: 16, height: 16, viewBox: "0 0 24 24", "aria-hidden": true, fill: "none", stroke: "currentColor", "stroke-width": 2, "stroke-linecap": "round", "stroke-linejoin": "round" } as const;

export const LockIcon = () => (
  <svg {...common} class="icon">
    <rect x="5" y="11" width="14" height="10" rx="2" />
    <path d="M8 11V7a4 4 0 0 1 8 0v4" />
  </svg>
);

export const MicOffIcon = () => (
  <svg {...common} class="icon">
    <path d="M9 9v3a3 3 0 0 0 5.1 2.1M15 9.3V5a3 3 0 0 0-5.9-.8" />
    <path d="M19 11a7 7 0 0 1-1.2 3.9M5 11a7 7 0 0 0 11.3 5.5M12 18v3M3 3l18 18" />
  </svg>
);

export const HandIcon = () => (
  <svg {...common} class="icon">
    <path d="M18 11V6a2 2 0 0 0-4 0v5M14 10V4a2 2 0 0 0-4 0v6M10 10.5V6a2 2 0 0 0-4 0v8" />
    <path d="M18 8a2 2 0 1 1 4 0v6a8 8 0 0 1-8 8h-2c-2.8 0-4.5-.9-5.9-2.2L3.4 17a2 2 0 0 1 2.8-2.8L8 16" />
  </svg>
);
