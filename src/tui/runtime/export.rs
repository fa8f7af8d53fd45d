//! The board's export: the orders of its query, read page by page through the service (keyset
//! paging, bounded), written as CSV (the `order list --format csv` writer) or JSON (the
//! contract's order shape) into a temporary file that replaces nothing unless asked.

use chrono::Utc;

use crate::files::{AtomicFile, WriteError};
use crate::office::desk::Desk;
use crate::shapes::{CSV_HEADER, OrderJson, order_csv};
use crate::tui::msg::{ExportFailure, ExportFormat, ExportRequest, Exported};

/// The most orders one export writes.
pub const MAX_EXPORT: usize = 100_000;

/// Carries out an export; the result is what the status line says.
pub async fn export(desk: &Desk, request: ExportRequest) -> Result<Exported, ExportFailure> {
    // A folder or a device is refused first; an existing file is asked about before any
    // reading: the user decides first.
    let mut file = AtomicFile::create(&request.path).map_err(failure)?;
    if !request.overwrite && request.path.exists() {
        return Err(ExportFailure::Exists(request.path));
    }
    let (count, cut) = write_orders(desk, &request, &mut file).await?;
    file.commit(request.overwrite).map_err(failure)?;
    Ok(Exported {
        count,
        path: request.path,
        cut,
    })
}

/// Writes every matching order (up to the bound) into `file`: how many, and whether the
/// bound cut the list.
async fn write_orders(
    desk: &Desk,
    request: &ExportRequest,
    file: &mut AtomicFile,
) -> Result<(usize, bool), ExportFailure> {
    let at = Utc::now();
    let json = request.format == ExportFormat::Json;
    file.write(if json { b"[" } else { CSV_HEADER.as_bytes() })
        .map_err(failure)?;
    let mut query = request.query.clone();
    let mut count = 0;
    loop {
        let page = if json {
            desk.list_with_ledger(&request.actor, &query).await
        } else {
            let orders = desk.list(&request.actor, &query).await;
            orders.map(|orders| orders.into_iter().map(|o| (o, Vec::new())).collect())
        }
        .map_err(|e| ExportFailure::Failed(format!("not exported: {e}")))?;
        let Some((last, _)) = page.last() else {
            break;
        };
        query.after_id = Some(last.id);
        query.after_key = query.sort.key(last);
        let full_page = page.len() as i64 >= query.limit;
        for (order, ledger) in &page {
            let workflow = desk.workflows().get(&order.workflow);
            let late = workflow.is_some_and(|w| w.is_late(order, at));
            if !request.states.contains(&order.state) || (request.late_only && !late) {
                continue;
            }
            if count == MAX_EXPORT {
                return finish(file, json, count, true);
            }
            let row = if json {
                let shape = OrderJson::listed(order, desk.workflows(), ledger, &request.actor, at);
                let text = serde_json::to_string_pretty(&shape).unwrap_or_default();
                format!("{}\n{}", if count == 0 { "" } else { "," }, indent(&text))
            } else {
                format!("\n{}", order_csv(order, late))
            };
            file.write(row.as_bytes()).map_err(failure)?;
            count += 1;
        }
        if !full_page {
            break;
        }
    }
    finish(file, json, count, false)
}

fn finish(
    file: &mut AtomicFile,
    json: bool,
    count: usize,
    cut: bool,
) -> Result<(usize, bool), ExportFailure> {
    let end: &[u8] = match (json, count) {
        (true, 0) => b"]\n",
        (true, _) => b"\n]\n",
        (false, _) => b"\n",
    };
    file.write(end).map_err(failure)?;
    Ok((count, cut))
}

/// A pretty-printed order as an element of the array.
fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn failure(error: WriteError) -> ExportFailure {
    match error {
        WriteError::Exists(path) => ExportFailure::Exists(path),
        other => ExportFailure::Failed(format!("not exported: {other}")),
    }
}
