//! Every screen and overlay at 80×24 and 160×48, with a fixed clock and fixed data.

use crossterm::event::KeyCode;
use orderboard::domain::{Actor, Role};
use orderboard::service::BoardData;
use orderboard::tui::app::{App, Screen, update};
use orderboard::tui::msg::{ApplyFailure, ConnectionState, Msg};
use orderboard::tui::theme::Theme;
use orderboard::tui::view::Frame;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::tui_fixtures::{
    board_data, card, detail_for, key, new_app, press, seller, signed_in,
    support_with_failed_effects, typed,
};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn render(app: &App, (width, height): (u16, u16)) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let theme = Theme::dark();
    terminal
        .draw(|frame| frame.render_widget(&Frame { app, theme: &theme }, frame.area()))
        .unwrap();
    terminal
}

fn snapshot(name: &str, build: impl Fn((u16, u16)) -> App) {
    for size in SIZES {
        let app = build(size);
        let terminal = render(&app, size);
        let text = terminal.backend().to_string();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{name}: control characters reached the screen"
        );
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), terminal.backend());
    }
}

/// The seller's board with the selected order's details loaded.
fn seller_board(size: (u16, u16)) -> App {
    let (mut app, _) = signed_in(seller(), size);
    update(
        &mut app,
        Msg::DetailLoaded(Ok(detail_for(card(11, "paid", "Logo design", "carol", 48)))),
    );
    app
}

#[test]
fn login_screens() {
    snapshot("login", new_app);
    snapshot("login_error_demo", |size| {
        let mut app = new_app(size);
        if let Screen::Login(form) = &mut app.screen {
            form.demo_logins = vec![
                ("ada".into(), "ada-demo".into(), Role::Admin),
                ("sam".into(), "sam-demo".into(), Role::Seller),
            ];
        }
        app.prefill_user("sam");
        let mut msgs = typed("wrong");
        msgs.push(key(KeyCode::Enter));
        press(&mut app, msgs);
        update(
            &mut app,
            Msg::SignedIn(Err("invalid username or password".into())),
        );
        app
    });
}

#[test]
fn board_screens() {
    snapshot("board_seller", seller_board);
    snapshot("board_order_pane_with_history", |size| {
        let (mut app, _) = signed_in(seller(), size);
        press(&mut app, [key(KeyCode::Right)]);
        update(
            &mut app,
            Msg::DetailLoaded(Ok(detail_for(card(
                21,
                "inprogress",
                "Poster A2",
                "carol",
                10,
            )))),
        );
        press(&mut app, [key(KeyCode::Tab)]);
        app
    });
    snapshot("board_support_disputes", |size| {
        let mut app = new_app(size);
        update(
            &mut app,
            Msg::SignedIn(Ok(Actor::new("sue", Role::Support))),
        );
        update(&mut app, Msg::BoardLoaded(Ok(board_data())));
        app
    });
    snapshot("board_finished_columns_shown", |size| {
        let mut app = seller_board(size);
        press(&mut app, [key(KeyCode::Char('c'))]);
        app
    });
    snapshot("board_reconnecting", |size| {
        let mut app = seller_board(size);
        update(
            &mut app,
            Msg::Connection(ConnectionState::Reconnecting("connection refused".into())),
        );
        app
    });
    // Through a server reached over plain HTTP with --insecure: the header says so.
    snapshot("board_through_an_insecure_server", |size| {
        let mut app = seller_board(size);
        app.server = Some("insecure http://10.0.0.5:8080".into());
        app
    });
    snapshot("board_filter_typing", |size| {
        let mut app = seller_board(size);
        let mut msgs = vec![key(KeyCode::Char('/'))];
        msgs.extend(typed("logo"));
        press(&mut app, msgs);
        app
    });
    // A text longer than the footer: it scrolls to the cursor (here moved back a word), the
    // caret shows where typing goes, and the hints give way.
    snapshot("board_filter_typing_past_the_width", |size| {
        let mut app = seller_board(size);
        let mut msgs = vec![key(KeyCode::Char('/'))];
        let long = "poster for the lighthouse keepers' association, minimal, ".repeat(3);
        msgs.extend(typed(&format!("{long}last words")));
        msgs.extend((0..6).map(|_| key(KeyCode::Left)));
        press(&mut app, msgs);
        app
    });
    // A text in more orders than a search reads: the header says the newest are shown.
    snapshot("board_search_over_the_cap", |size| {
        let mut app = seller_board(size);
        let mut msgs = vec![key(KeyCode::Char('/'))];
        msgs.extend(typed("logo"));
        msgs.push(key(KeyCode::Enter));
        let data = BoardData {
            text: Some("logo".into()),
            matches_capped: true,
            ..board_data()
        };
        msgs.push(Msg::BoardLoaded(Ok(data)));
        press(&mut app, msgs);
        app
    });
}

#[test]
fn overlays() {
    snapshot("overlay_menu", |size| {
        let mut app = seller_board(size);
        press(&mut app, [key(KeyCode::Enter)]);
        app
    });
    snapshot("overlay_note", |size| {
        let mut app = seller_board(size);
        let mut msgs = vec![key(KeyCode::Enter), key(KeyCode::Down), key(KeyCode::Enter)];
        msgs.extend(typed("out of stock"));
        press(&mut app, msgs);
        app
    });
    snapshot("overlay_confirm", |size| {
        let mut app = seller_board(size);
        let mut msgs = vec![key(KeyCode::Enter), key(KeyCode::Down), key(KeyCode::Enter)];
        msgs.extend(typed("out of stock"));
        msgs.push(key(KeyCode::Enter));
        press(&mut app, msgs);
        app
    });
    snapshot("overlay_help", |size| {
        let mut app = seller_board(size);
        press(&mut app, [key(KeyCode::Char('?'))]);
        app
    });
}

#[test]
fn too_small_terminal() {
    for size in [(59, 24), (80, 15)] {
        let mut app = seller_board(size);
        update(&mut app, Msg::Resize(size.0, size.1));
        let terminal = render(&app, size);
        insta::assert_snapshot!(
            format!("too_small_{}x{}", size.0, size.1),
            terminal.backend()
        );
    }
}

/// The order pane's tabs, the feed with a selected row, help scrolled to its end, a menu
/// reopened after a lost race with the whole message, and combined quick filters.
#[test]
fn panes_tabs_and_notices() {
    let on_tab = |tabs: usize| {
        move |size| {
            let mut app = seller_board(size);
            press(&mut app, [key(KeyCode::Tab)]);
            for _ in 0..tabs {
                press(&mut app, [key(KeyCode::Right)]);
            }
            app
        }
    };
    snapshot("order_tab_timeline", on_tab(1));
    snapshot("order_tab_ledger", on_tab(2));
    snapshot("order_tab_effects", on_tab(3));
    snapshot("feed_row_selected", |size| {
        let mut app = seller_board(size);
        press(
            &mut app,
            [key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Down)],
        );
        app
    });
    snapshot("help_scrolled_to_the_end", |size| {
        let mut app = seller_board(size);
        press(&mut app, [key(KeyCode::Char('?')), key(KeyCode::End)]);
        app
    });
    snapshot("menu_after_a_lost_race", |size| {
        let mut app = seller_board(size);
        press(&mut app, [key(KeyCode::Enter), key(KeyCode::Enter)]);
        update(
            &mut app,
            Msg::Applied(Err(ApplyFailure::Conflict {
                order_id: 11,
                message: "order 11 was changed first by carol (order.cancel_requested): it is \
                          now \"cancel_requested\" at version 2"
                    .into(),
            })),
        );
        let mut moved = card(11, "cancel_requested", "Logo design", "carol", 48);
        moved.version = 2;
        update(&mut app, Msg::OrderRefreshed(Some(moved)));
        app
    });
    snapshot("support_failed_effects_tab", |size| {
        let mut app = support_with_failed_effects(size);
        press(&mut app, [key(KeyCode::Tab)]);
        for _ in 0..3 {
            press(&mut app, [key(KeyCode::Right)]);
        }
        app
    });
    snapshot("support_menu_with_effect_actions", |size| {
        let mut app = support_with_failed_effects(size);
        press(&mut app, [key(KeyCode::Enter)]);
        app
    });
    snapshot("board_mine_and_late", |size| {
        let mut app = seller_board(size);
        press(&mut app, [key(KeyCode::Char('m')), key(KeyCode::Char('L'))]);
        app
    });
}

/// NO_COLOR's theme draws no colour at all, and the selection, focus and lateness still read
/// (reversed and marked); the light theme has no text that would vanish on white.
#[test]
fn no_colour_and_the_light_theme() {
    use ratatui::style::{Color, Modifier};
    let app = seller_board((80, 24));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let theme = Theme::monochrome();
    terminal
        .draw(|frame| {
            frame.render_widget(
                &Frame {
                    app: &app,
                    theme: &theme,
                },
                frame.area(),
            )
        })
        .unwrap();
    let buffer = terminal.backend().buffer();
    assert!(
        buffer
            .content()
            .iter()
            .all(|cell| cell.fg == Color::Reset && cell.bg == Color::Reset),
        "a colour was drawn under NO_COLOR"
    );
    let text = terminal.backend().to_string();
    assert!(text.contains("▌#11 Logo design"), "the selection is marked");
    assert!(text.contains("LATE"));
    let late = buffer
        .content()
        .iter()
        .position(|cell| cell.symbol() == "L" && cell.modifier.contains(Modifier::REVERSED));
    assert!(late.is_some(), "the LATE badge stands out without colour");

    for style in Theme::light().styles() {
        let fg = style.fg.unwrap_or(Color::Reset);
        let bg = style.bg.unwrap_or(Color::Reset);
        assert!(
            !(matches!(fg, Color::White | Color::Gray) && bg == Color::Reset),
            "light theme: {style:?} would vanish on a white background"
        );
        assert_ne!(fg, bg, "light theme: {style:?} has no contrast");
    }
}

#[test]
fn palette_and_prompts() {
    snapshot("palette_with_query", |size| {
        let mut app = seller_board(size);
        let mut msgs = vec![key(KeyCode::Char(':'))];
        msgs.extend(typed("sort"));
        press(&mut app, msgs);
        app
    });
    snapshot("export_prompt", |size| {
        let mut app = seller_board(size);
        press(&mut app, [key(KeyCode::Char('x'))]);
        app
    });
    snapshot("save_view_prompt", |size| {
        let mut app = seller_board(size);
        let mut msgs = vec![key(KeyCode::Char('v'))];
        msgs.extend(typed("my late work"));
        press(&mut app, msgs);
        app
    });
}
