//! The runtime's side of bulk actions: select a whole column, the dry run, and applying each
//! order with progress reported as it goes (a chunk at a time, so the overlay counts up).

use tokio::sync::mpsc::UnboundedSender;

use crate::domain::OrderId;
use crate::office::desk::Desk;
use crate::service::MAX_BULK_ORDERS;
use crate::store::OrderQuery;
use crate::tui::msg::{BulkRequest, Effect, Msg};

/// Orders applied between two progress reports.
const PROGRESS_EVERY: usize = 20;
/// Ids read per page when selecting a whole column.
const ID_PAGE: i64 = 500;

/// Carries out a bulk effect; anything else is not this module's.
pub async fn carry_out(desk: Desk, tx: UnboundedSender<Msg>, effect: Effect) {
    let msg = match effect {
        Effect::MarkColumn { actor, query } => {
            Msg::ColumnMarked(column_ids(&desk, &actor, query).await)
        }
        Effect::BulkPreview(request) => Msg::BulkPreviewed(
            desk.bulk(
                &request.actor,
                &request.ids,
                &request.event,
                request.note.as_deref(),
                true,
            )
            .await
            .map_err(|e| e.to_string()),
        ),
        Effect::BulkApply(request) => Msg::BulkDone(apply(&desk, &tx, request).await),
        _ => return,
    };
    let _ = tx.send(msg);
}

/// Each order the dry run cleared, in its own transaction and only at the version the dry
/// run read, a chunk at a time; a refusal is a line, not a stop.
/// Only a failure of the service itself (the database gone) stops it, and says so.
async fn apply(desk: &Desk, tx: &UnboundedSender<Msg>, request: BulkRequest) -> Option<String> {
    for chunk in request.previewed.chunks(PROGRESS_EVERY) {
        let lines = desk
            .bulk_as_previewed(
                &request.actor,
                chunk,
                &request.event,
                request.note.as_deref(),
            )
            .await;
        match lines {
            Ok(lines) => {
                let _ = tx.send(Msg::BulkProgress(lines));
            }
            Err(error) => return Some(format!("stopped: {error}")),
        }
    }
    None
}

/// The ids of a column under the board's filters, keyset-paged, at most the bulk limit.
async fn column_ids(
    desk: &Desk,
    actor: &crate::domain::Actor,
    mut query: OrderQuery,
) -> Result<Vec<OrderId>, String> {
    let mut ids = Vec::new();
    query.sort = Default::default();
    query.after_key = None;
    query.limit = ID_PAGE;
    loop {
        let page = desk.list(actor, &query).await.map_err(|e| e.to_string())?;
        let Some(last) = page.last() else {
            return Ok(ids);
        };
        query.after_id = Some(last.id);
        ids.extend(page.iter().map(|o| o.id));
        if ids.len() >= MAX_BULK_ORDERS {
            ids.truncate(MAX_BULK_ORDERS);
            return Ok(ids);
        }
    }
}
