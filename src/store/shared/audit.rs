//! Verify's reads: orders in batches, each with its whole history and ledger.

use crate::store::StoreError;
use crate::store::rows::{HistoryRow, OrderRow};
use crate::store::types::{AuditedOrder, LedgerRow};

macro_rules! audit_queries {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::rows::{HistoryRow, OrderRow};
            use $crate::store::shared::audit::{OrderLedgerRow, audited_orders};
            use $crate::store::types::{AuditedOrder, LedgerRow};
            use $crate::store::{StoreError, sql};

            impl $store {
                /// The ledger rows of orders `first ..= last`, with their order ids, in one
                /// query.
                pub async fn ledger_between(
                    &self,
                    first: i64,
                    last: i64,
                ) -> Result<Vec<(i64, LedgerRow)>, StoreError> {
                    let rows = sqlx::query_as::<$db, OrderLedgerRow>(sql::LEDGER_BETWEEN)
                        .bind(first)
                        .bind(last)
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(rows.into_iter().map(|r| (r.order_id, r.row)).collect())
                }

                /// The ledger rows of these orders (a page of a list, in any order), with
                /// their order ids, a few hundred orders per query.
                pub async fn ledger_of(
                    &self,
                    ids: &[i64],
                ) -> Result<Vec<(i64, LedgerRow)>, StoreError> {
                    let mut ledger = Vec::new();
                    for chunk in ids.chunks($crate::store::shared::orders::ORDERS_PER_QUERY) {
                        let mut query = sqlx::QueryBuilder::<$db>::new(sql::LEDGER_OF_ORDERS_IN);
                        let mut list = query.separated(", ");
                        for id in chunk {
                            list.push_bind(*id);
                        }
                        query.push(") ORDER BY order_id, id");
                        let rows = query
                            .build_query_as::<OrderLedgerRow>()
                            .fetch_all(&self.pool)
                            .await?;
                        ledger.extend(rows.into_iter().map(|r| (r.order_id, r.row)));
                    }
                    Ok(ledger)
                }

                /// A batch for verify: up to `limit` orders after `after_id`, with their
                /// histories (oldest first) and ledger rows, in three queries.
                pub async fn audit_batch(
                    &self,
                    after_id: i64,
                    limit: i64,
                ) -> Result<Vec<AuditedOrder>, StoreError> {
                    let orders = sqlx::query_as::<$db, OrderRow>(sql::ORDERS_AFTER)
                        .bind(after_id)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                    let (Some(first), Some(last)) = (orders.first(), orders.last()) else {
                        return Ok(Vec::new());
                    };
                    let (first, last) = (first.id, last.id);
                    let history = sqlx::query_as::<$db, HistoryRow>(sql::HISTORY_BETWEEN)
                        .bind(first)
                        .bind(last)
                        .fetch_all(&self.pool)
                        .await?;
                    let ledger = self.ledger_between(first, last).await?;
                    audited_orders(orders, history, ledger)
                }
            }
        };
    };
}

pub(crate) use audit_queries;

/// A ledger row with its order's id, for reading many orders' ledgers at once.
#[derive(sqlx::FromRow)]
pub(crate) struct OrderLedgerRow {
    pub order_id: i64,
    #[sqlx(flatten)]
    pub row: LedgerRow,
}

/// Hands each history and ledger row to its order. All three lists are sorted by order id.
pub(crate) fn audited_orders(
    orders: Vec<OrderRow>,
    history: Vec<HistoryRow>,
    ledger: Vec<(i64, LedgerRow)>,
) -> Result<Vec<AuditedOrder>, StoreError> {
    let mut audited = Vec::with_capacity(orders.len());
    for row in orders {
        audited.push(AuditedOrder {
            order: row.into_order()?,
            history: Vec::new(),
            ledger: Vec::new(),
        });
    }
    let position =
        |id: i64, audited: &[AuditedOrder]| audited.binary_search_by_key(&id, |a| a.order.id).ok();
    for row in history {
        if let Some(index) = position(row.order_id, &audited) {
            audited[index].history.push(row.into_entry());
        }
    }
    for (order_id, row) in ledger {
        if let Some(index) = position(order_id, &audited) {
            audited[index].ledger.push(row);
        }
    }
    Ok(audited)
}
