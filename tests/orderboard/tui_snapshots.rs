//! Every screen and overlay at 80×24 and 160×48, with a fixed clock and fixed data.

use crossterm::event::KeyCode;
use orderboard::domain::{Actor, Role};
use orderboard::tui::app::{App, Screen, update};
use orderboard::tui::msg::{ConnectionState, Msg};
use orderboard::tui::theme::Theme;
use orderboard::tui::view::Frame;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::tui_fixtures::{
    board_data, card, detail_for, key, new_app, press, seller, signed_in, typed,
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
    snapshot("board_filter_typing", |size| {
        let mut app = seller_board(size);
        let mut msgs = vec![key(KeyCode::Char('/'))];
        msgs.extend(typed("logo"));
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
