import {
  ArrowDown,
  ArrowLeftRight,
  AtSign,
  Bell,
  BellOff,
  Building,
  Check,
  ChevronDown,
  ChevronLeft,
  ChevronRight,
  Copy,
  CreditCard,
  Download,
  FaceSlightlySmiling,
  File,
  Globe,
  Hash,
  Inbox,
  Info,
  Key,
  LayoutDashboard,
  List,
  Lock,
  LogOut,
  type LucideIcon,
  Menu,
  MessageSquare,
  Paperclip,
  Pencil,
  Pin,
  Plus,
  Reply,
  ScrollText,
  Search,
  Send,
  Settings,
  Shield,
  Sparkles,
  Trash,
  TriangleExclamationPoint,
  Users,
  X,
} from "lucide-react";

/** The icons the apps use, by name (lucide-react underneath). */
const ICONS = {
  hash: Hash,
  lock: Lock,
  plus: Plus,
  x: X,
  check: Check,
  copy: Copy,
  search: Search,
  users: Users,
  settings: Settings,
  card: CreditCard,
  chat: MessageSquare,
  logout: LogOut,
  menu: Menu,
  smile: FaceSlightlySmiling,
  paperclip: Paperclip,
  send: Send,
  edit: Pencil,
  trash: Trash,
  reply: Reply,
  inbox: Inbox,
  file: File,
  download: Download,
  shield: Shield,
  key: Key,
  globe: Globe,
  "arrow-down": ArrowDown,
  at: AtSign,
  alert: TriangleExclamationPoint,
  sparkle: Sparkles,
  list: List,
  "chevron-right": ChevronRight,
  "chevron-down": ChevronDown,
  info: Info,
  dashboard: LayoutDashboard,
  building: Building,
  log: ScrollText,
  exchange: ArrowLeftRight,
  pin: Pin,
  bell: Bell,
  "bell-off": BellOff,
  "chevron-left": ChevronLeft,
} satisfies Record<string, LucideIcon>;

export type IconName = keyof typeof ICONS;

/** An icon: decoration (hidden from assistive technology) unless it has a `label`. */
export function Icon({ name, size = 18, label }: { name: IconName; size?: number; label?: string }) {
  const Glyph = ICONS[name];
  return (
    <Glyph
      className="icon"
      size={size}
      strokeWidth={2}
      aria-hidden={label ? undefined : true}
      role={label ? "img" : undefined}
      aria-label={label}
    />
  );
}
