//! Bulk actions in the TUI: the update step (marking, the dry run, applying with progress,
//! the results) and the real binary in tmux bulk-accepting five paid orders, one of which a
//! second process cancels between the marking and the dry run.

use std::time::Duration;

use crossterm::event::KeyCode;
use orderboard::service::{BulkLine, BulkOutcome};
use orderboard::tui::app::{Overlay, update};
use orderboard::tui::msg::{Effect, Msg};
use orderboard::tui::overlays::BulkStage;

use crate::db::sqlite;
use crate::support::{Tmux, create_titled, run_as, set_up_users};
use crate::tui_fixtures::{admin_viewing_as_sam, key, press, screen_text, seller, signed_in};

fn board(app: &orderboard::tui::app::App) -> &orderboard::tui::board::BoardScreen {
    match &app.screen {
        orderboard::tui::app::Screen::Board(board) => board,
        _ => panic!("not on the board"),
    }
}

fn line(id: i64, outcome: BulkOutcome) -> BulkLine {
    BulkLine { id, outcome }
}

#[test]
fn marking_previewing_and_applying_in_the_update_step() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    // The fixture's Paid column is fully loaded: V marks its three cards at once.
    let effects = press(&mut app, [key(KeyCode::Char('V'))]);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(board(&app).selection.marked.len(), 3);
    // Space unmarks the selected card (#11); V again would clear the column.
    press(&mut app, [key(KeyCode::Char(' '))]);
    assert_eq!(
        board(&app)
            .selection
            .marked
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        [12, 13]
    );

    press(&mut app, [key(KeyCode::Char('b'))]);
    let Some(Overlay::Bulk(form)) = &board(&app).overlay else {
        panic!("the bulk overlay")
    };
    assert_eq!(form.ids, [12, 13]);
    // The first event of the workflow is order.accepted: no note, straight to the dry run.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let [Effect::BulkPreview(request)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (request.ids.as_slice(), request.event.as_str()),
        (&[12, 13][..], "order.accepted")
    );
    assert_eq!(request.note, None);

    update(
        &mut app,
        Msg::BulkPreviewed(Ok(vec![
            line(
                12,
                BulkOutcome::WouldApply {
                    to: "inprogress".into(),
                    version: 1,
                },
            ),
            line(
                13,
                BulkOutcome::Blocked {
                    reason: "order.accepted is not allowed now".into(),
                },
            ),
        ])),
    );
    // Only the order the dry run cleared is applied, at the version the dry run read.
    let effects = press(&mut app, [key(KeyCode::Char('y'))]);
    assert!(
        matches!(effects.as_slice(), [Effect::BulkApply(r)] if r.ids == [12] && r.previewed == [(12, 1)]),
        "{effects:?}"
    );
    update(
        &mut app,
        Msg::BulkProgress(vec![line(
            12,
            BulkOutcome::Applied {
                from: "paid".into(),
                to: "inprogress".into(),
                version: 2,
            },
        )]),
    );
    let effects = update(&mut app, Msg::BulkDone(None));
    assert!(
        matches!(effects.as_slice(), [Effect::LoadBoard { .. }]),
        "{effects:?}"
    );
    let Some(Overlay::Bulk(form)) = &board(&app).overlay else {
        panic!("the results stay on screen")
    };
    // The results: #13 as the dry run left it, #12 moved.
    assert!(matches!(&form.stage, BulkStage::Done { lines, .. } if lines.len() == 2));
    assert!(board(&app).selection.marked.is_empty());
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(board(&app).overlay.is_none());
}

/// An event that needs a note asks for it once, for every order; a blank one is refused.
#[test]
fn a_bulk_event_that_needs_a_note_asks_for_it() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    press(&mut app, [key(KeyCode::Char('b'))]);
    // order.rejected (the second event) needs a note.
    press(&mut app, [key(KeyCode::Down), key(KeyCode::Enter)]);
    let effects = press(&mut app, [key(KeyCode::Char(' ')), key(KeyCode::Enter)]);
    assert!(effects.is_empty(), "a blank note is refused: {effects:?}");
    update(&mut app, Msg::Paste("out of stock\n".into()));
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let [Effect::BulkPreview(request)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.event, "order.rejected");
    assert_eq!(request.note.as_deref(), Some("out of stock"));
}

/// Viewing as someone else, bulk shows the dry run and applies nothing.
#[test]
fn viewing_as_a_user_bulk_is_a_dry_run_only() {
    let (mut app, _) = admin_viewing_as_sam((120, 40));
    press(&mut app, [key(KeyCode::Char('b'))]);
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(
        matches!(effects.as_slice(), [Effect::BulkPreview(_)]),
        "{effects:?}"
    );
    let would = BulkOutcome::WouldApply {
        to: "inprogress".into(),
        version: 1,
    };
    update(&mut app, Msg::BulkPreviewed(Ok(vec![line(11, would)])));
    assert!(screen_text(&app).contains("read-only, viewing as sam"));
    let effects = press(&mut app, [key(KeyCode::Char('y'))]);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(matches!(
        &board(&app).overlay,
        Some(Overlay::Bulk(form)) if matches!(form.stage, BulkStage::Preview { .. })
    ));
}

/// A dry run longer than the screen scrolls, and says how much is above and below.
#[test]
fn a_long_dry_run_scrolls() {
    let (mut app, _) = signed_in(seller(), (80, 24));
    press(&mut app, [key(KeyCode::Char('b')), key(KeyCode::Enter)]);
    let lines = (1..=60)
        .map(|id| {
            let reason = format!("order {id} is not yours");
            line(id, BulkOutcome::Blocked { reason })
        })
        .collect();
    update(&mut app, Msg::BulkPreviewed(Ok(lines)));
    let text = screen_text(&app);
    assert!(text.contains("#1 blocked"), "{text}");
    assert!(text.contains("0 rows above"), "{text}");
    assert!(!text.contains("#40 blocked"), "{text}");
    assert!(text.contains("nothing to apply"), "{text}");
    press(&mut app, [key(KeyCode::PageDown), key(KeyCode::PageDown)]);
    press(&mut app, [key(KeyCode::PageDown), key(KeyCode::PageDown)]);
    let text = screen_text(&app);
    assert!(text.contains("#41 blocked"), "{text}");
    assert!(!text.contains("#1 blocked"), "{text}");
    press(&mut app, (0..4).map(|_| key(KeyCode::PageDown)));
    let text = screen_text(&app);
    assert!(
        text.contains("#60 blocked") && text.contains(" 0 below"),
        "{text}"
    );
}

#[test]
fn bulk_accepting_five_paid_orders_in_a_real_terminal() {
    if !Tmux::available() {
        return;
    }
    let db = sqlite();
    set_up_users(&db);
    let ids: Vec<String> = (1..=5)
        .map(|i| create_titled(&db, "marketplace", &format!("Batch {i}"), &[]))
        .collect();
    let tmux = Tmux::sign_in("bulk", &db.url, "sam", 120);
    tmux.wait_for("the board", Duration::from_secs(10), |s| {
        s.contains("Paid (5)")
    });
    tmux.keys(&["V"]);
    tmux.wait_for("five marked", Duration::from_secs(5), |s| {
        s.contains("✓ 5 selected")
    });

    // Meanwhile an admin cancels one of them in another process.
    let (code, _, stderr) = run_as(
        &db.url,
        "ada",
        &[
            "advance",
            &ids[2],
            "order.force_cancelled",
            "--note",
            "duplicate",
        ],
    );
    assert_eq!(code, 0, "{stderr}");

    tmux.keys(&["b"]);
    tmux.wait_for("the event list", Duration::from_secs(5), |s| {
        s.contains("Which event, for 5 orders?")
    });
    tmux.keys(&["Enter"]);
    let (screen, _) = tmux.wait_for("the dry run", Duration::from_secs(10), |s| {
        s.contains("Dry run: 4 of 5 will move")
    });
    assert!(screen.contains(&format!("#{} blocked", ids[2])), "{screen}");
    for id in [&ids[0], &ids[1], &ids[3], &ids[4]] {
        assert!(
            screen.contains(&format!("#{id} will move to In progress")),
            "{screen}"
        );
    }
    tmux.keys(&["y"]);
    let (screen, _) = tmux.wait_for("the results", Duration::from_secs(10), |s| {
        s.contains("Done: 4 of 5 moved.")
    });
    assert!(screen.contains(&format!("#{} blocked", ids[2])), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("the board reloaded", Duration::from_secs(10), |s| {
        s.contains("In progress (4)") && s.contains("Paid (0)")
    });
    for id in [&ids[0], &ids[1], &ids[3], &ids[4]] {
        let (code, stdout, _) = run_as(&db.url, "sam", &["order", "show", id, "--json"]);
        assert_eq!(code, 0);
        assert!(stdout.contains("\"state\": \"inprogress\""), "{stdout}");
    }
}
