import type { Metadata } from "next";
import { MailView } from "./mail-view";

export const metadata: Metadata = { title: "Mail deliveries" };

export default function MailPage() {
  return <MailView />;
}
