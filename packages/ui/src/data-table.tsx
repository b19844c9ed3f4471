"use client";

import {
  type ColumnDef,
  type RowData,
  rowSortingFeature,
  type SortingState,
  tableFeatures,
  useTable,
} from "@tanstack/react-table";
import {
  Fragment,
  type HTMLAttributes,
  type ReactNode,
  type TdHTMLAttributes,
  useCallback,
  useMemo,
} from "react";

/**
 * One table for both apps, on @tanstack/react-table (headless): the table owns the columns, the
 * rows and the sort state; the markup stays ours — `table`, `th scope="col"`, the apps' classes,
 * `aria-sort` and a button in a sortable header, so names and roles do not change.
 *
 * Sorting is the server's (the rows arrive sorted): a sortable header asks for the next order
 * through `onSortingChange` — the first click on a column sorts it in its own first direction, the
 * next ones flip it; there is always one sorted column.
 */

export type SortDirection = "asc" | "desc";
export type Sort = { id: string; desc: boolean };

export type DataColumn<T extends RowData> = {
  id: string;
  /** The header cell's content (a text, or e.g. an `sr-only` label for an actions column). */
  header: ReactNode;
  cell: (row: T) => ReactNode;
  /** On the header cell and on every cell of the column (e.g. "num", "hide-sm"). */
  className?: string;
  /** On the body cells only, after `className` (e.g. "muted"). */
  cellClassName?: string;
  /** More attributes of a body cell (e.g. a `title`). */
  cellProps?: (row: T) => TdHTMLAttributes<HTMLTableCellElement>;
  /** The column sorts; `first`: its direction when it is chosen. */
  sort?: { first: SortDirection };
};

const features = tableFeatures({ rowSortingFeature });
const NO_ROWS: never[] = [];

export function DataTable<T extends RowData>({
  columns,
  rows,
  getRowId,
  className = "table",
  caption,
  captionClassName,
  bodyProps,
  placeholder,
  empty,
  sorting,
  onSortingChange,
  rowProps,
  renderRow,
}: {
  columns: readonly DataColumn<T>[];
  rows: readonly T[] | undefined;
  getRowId: (row: T) => string;
  /** The table's classes ("table" and its variants). */
  className?: string;
  caption?: ReactNode;
  captionClassName?: string;
  /** Attributes of the `tbody` (aria-busy, a class while stale results show). */
  bodyProps?: HTMLAttributes<HTMLTableSectionElement>;
  /** Shown in the body instead of the rows (e.g. skeleton rows while loading). */
  placeholder?: ReactNode;
  /** Shown in one full-width cell when there are no rows. */
  empty?: ReactNode;
  /** The sorted column (the rows arrive in that order). */
  sorting?: Sort;
  onSortingChange?: (next: Sort) => void;
  /** Attributes of a row's `tr` (e.g. a test id). */
  rowProps?: (row: T) => HTMLAttributes<HTMLTableRowElement> & { "data-testid"?: string };
  /**
   * Renders a row around its cells, instead of `<tr {...rowProps}>{cells}</tr>`: for rows with
   * their own state shared by several cells, or a detail row after the row.
   */
  renderRow?: (row: T, cells: ReactNode) => ReactNode;
}) {
  const defs = useMemo(
    () =>
      columns.map<ColumnDef<typeof features, T>>((c) => ({
        id: c.id,
        // Sorting needs an accessor; the value itself is not used (the server sorts).
        ...(c.sort ? { accessorFn: () => c.id } : {}),
        enableSorting: !!c.sort,
        sortDescFirst: c.sort?.first === "desc",
      })),
    [columns],
  );
  const byId = useMemo(() => new Map(columns.map((c) => [c.id, c])), [columns]);
  const state = useMemo<SortingState>(() => (sorting ? [sorting] : []), [sorting]);
  const onChange = useCallback(
    (updater: SortingState | ((old: SortingState) => SortingState)) => {
      const next = typeof updater === "function" ? updater(state) : updater;
      if (next[0] && onSortingChange) onSortingChange({ id: next[0].id, desc: next[0].desc });
    },
    [state, onSortingChange],
  );
  const table = useTable({
    features,
    columns: defs,
    data: (rows ?? NO_ROWS) as T[],
    getRowId,
    state: { sorting: state },
    onSortingChange: onChange,
    manualSorting: true,
    enableSortingRemoval: false,
    enableMultiSort: false,
  });

  const body =
    placeholder != null ? (
      placeholder
    ) : !rows || rows.length === 0 ? (
      empty != null ? (
        <tr>
          <td colSpan={columns.length}>{empty}</td>
        </tr>
      ) : null
    ) : (
      table.getRowModel().rows.map((row) => {
        const cells = row.getAllCells().map((cell) => {
          const col = byId.get(cell.column.id)!;
          const classes = [col.className, col.cellClassName].filter(Boolean).join(" ");
          return (
            <td key={cell.id} className={classes || undefined} {...col.cellProps?.(row.original)}>
              {col.cell(row.original)}
            </td>
          );
        });
        return (
          <Fragment key={row.id}>
            {renderRow ? renderRow(row.original, cells) : <tr {...rowProps?.(row.original)}>{cells}</tr>}
          </Fragment>
        );
      })
    );

  return (
    <table className={className}>
      {caption != null ? <caption className={captionClassName}>{caption}</caption> : null}
      <thead>
        {table.getHeaderGroups().map((group) => (
          <tr key={group.id}>
            {group.headers.map((header) => {
              const col = byId.get(header.column.id)!;
              if (!header.column.getCanSort())
                return (
                  <th key={header.id} scope="col" className={col.className}>
                    {col.header}
                  </th>
                );
              const sorted = header.column.getIsSorted();
              return (
                <th
                  key={header.id}
                  scope="col"
                  className={[col.className, "sortable"].filter(Boolean).join(" ")}
                  aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none"}
                >
                  <button
                    type="button"
                    onClick={header.column.getToggleSortingHandler()}
                    className={sorted ? "sort-active" : undefined}
                  >
                    {col.header}
                    <span className="sort-icon" aria-hidden="true">
                      {sorted === "asc" ? "▲" : sorted === "desc" ? "▼" : "↕"}
                    </span>
                  </button>
                </th>
              );
            })}
          </tr>
        ))}
      </thead>
      <tbody {...bodyProps}>{body}</tbody>
    </table>
  );
}
