import { Spinner } from "@nchat/ui/primitives";

export default function Loading() {
  return (
    <main className="page center-pad">
      <Spinner label="Loading" />
    </main>
  );
}
