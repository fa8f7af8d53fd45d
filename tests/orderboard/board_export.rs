//! The board's export as the executor runs it: a real SQLite board, paged through the
//! service into a file, as CSV (formulas made inert) and as JSON.

use orderboard::domain::OrderSort;
use orderboard::service::OrderDraft;
use orderboard::store::OrderQuery;
use orderboard::tui::msg::{ExportFailure, ExportFormat, ExportRequest};
use orderboard::tui::runtime::export::export;

use crate::support::{draft, people, test_now};

#[tokio::test]
async fn the_board_exports_to_csv_and_json_and_replaces_a_file_only_when_asked() {
    let db = crate::db::sqlite();
    let backoffice = db.backoffice().await;
    let (admin, ..) = people(&backoffice).await;
    let desk = orderboard::office::desk::Desk::Local(backoffice.clone());
    let titles = ["Logo design", "=HYPERLINK(\"http://x\")", "Cards, 200"];
    for title in titles {
        let mut order = draft("marketplace");
        order.title = title.into();
        backoffice
            .create_order(&admin, order, test_now())
            .await
            .unwrap();
    }
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("paid.csv");
    let request = ExportRequest {
        actor: admin.clone(),
        query: OrderQuery {
            workflow: Some("marketplace".into()),
            state: Some("paid".into()),
            sort: OrderSort::Id,
            // Two pages and a bit: keyset paging carries on where a page ended.
            limit: 2,
            ..OrderQuery::default()
        },
        states: vec!["paid".into()],
        late_only: false,
        path: path.clone(),
        format: ExportFormat::Csv,
        overwrite: false,
    };
    let done = export(&desk, request.clone()).await.unwrap();
    assert_eq!((done.count, done.cut), (3, false));
    let csv = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], orderboard::shapes::CSV_HEADER);
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].starts_with("1,marketplace,paid,1,carol,sam,Logo design,125.00,EUR,"));
    // The same writer as `order list --format csv`: a formula is inert, commas quoted.
    assert!(
        lines[2].contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
        "{}",
        lines[2]
    );
    assert!(lines[3].contains(",\"Cards, 200\","), "{}", lines[3]);

    // An existing file is left alone unless replacing it was agreed to.
    let json = ExportRequest {
        path: path.clone(),
        format: ExportFormat::Json,
        ..request.clone()
    };
    assert_eq!(
        export(&desk, json.clone()).await.unwrap_err(),
        ExportFailure::Exists(path.clone())
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), csv);
    let done = export(
        &desk,
        ExportRequest {
            overwrite: true,
            ..json
        },
    )
    .await
    .unwrap();
    assert_eq!(done.count, 3);
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["title"], titles[1]);
    assert_eq!(rows[0]["amount_cents"], 12_500);
    assert!(
        rows[0]["available"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    // Only the file: no temporary one left beside it.
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 1);

    // A column the filter leaves empty writes the header alone; a missing folder is one sentence.
    let empty = ExportRequest {
        path: folder.path().join("none.json"),
        format: ExportFormat::Json,
        states: vec!["completed".into()],
        ..request.clone()
    };
    assert_eq!(export(&desk, empty).await.unwrap().count, 0);
    let nowhere = ExportRequest {
        path: folder.path().join("missing/x.csv"),
        ..request
    };
    match export(&desk, nowhere).await.unwrap_err() {
        ExportFailure::Failed(text) => {
            assert!(text.starts_with("not exported: cannot write "), "{text}")
        }
        other => panic!("{other:?}"),
    }
}

/// A column sorted by amount is no range of ids: each order of the page still comes with
/// its own ledger rows (they were once read for the ids between the page's first and last).
#[tokio::test]
async fn a_sorted_page_keeps_each_orders_ledger() {
    let db = crate::db::sqlite();
    let backoffice = db.backoffice().await;
    let (admin, seller, ..) = people(&backoffice).await;
    let mut ids = Vec::new();
    for amount_cents in [5_000, 30_000, 12_000] {
        let order = OrderDraft {
            amount_cents,
            ..draft("marketplace")
        };
        ids.push(
            backoffice
                .create_order(&admin, order, test_now())
                .await
                .unwrap(),
        );
    }
    for &id in &ids[..2] {
        backoffice
            .advance(
                &seller,
                id,
                "order.rejected",
                Some("out of stock"),
                None,
                test_now(),
            )
            .await
            .unwrap();
    }
    let by_amount = OrderQuery {
        workflow: Some("marketplace".into()),
        state: Some("rejected".into()),
        sort: OrderSort::Amount,
        limit: 10,
        ..OrderQuery::default()
    };
    let page = backoffice
        .list_with_ledger(&admin, &by_amount)
        .await
        .unwrap();
    let seen: Vec<(i64, Vec<(String, i64)>)> = page
        .iter()
        .map(|(order, ledger)| {
            let rows = ledger
                .iter()
                .map(|r| (r.kind.clone(), r.amount_cents))
                .collect();
            (order.id, rows)
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (ids[1], vec![("refund".to_string(), 30_000)]),
            (ids[0], vec![("refund".to_string(), 5_000)]),
        ]
    );
}
