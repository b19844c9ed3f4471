import { Spinner } from "@/components/ui";

export default function Loading() {
  return (
    <main className="page center-pad">
      <Spinner label="Loading" />
    </main>
  );
}
