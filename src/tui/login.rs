//! The sign-in screen: its state, its keys and its drawing.

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::action::{ActionSet, LoginAction};
use super::app::{Context, Status};
use super::msg::{Effect, Msg};
use super::view::DrawContext;
use super::widgets::{centered, hint_spans};
use crate::auth::Secret;
use crate::domain::text::display_safe;
use crate::domain::{Actor, Role};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LoginField {
    #[default]
    Name,
    Password,
}

#[derive(Default)]
pub struct LoginForm {
    pub name: Input,
    pub password: Input,
    pub focus: LoginField,
    pub error: Option<String>,
    pub busy: bool,
    /// Shown under the form when the database was made by `demo` (name, password, role).
    pub demo_logins: Vec<(String, String, Role)>,
}

/// What one message did on the sign-in screen.
pub enum LoginStep {
    Effects(Vec<Effect>),
    /// Signed in: the app opens the board.
    SignedIn(Actor),
}

impl LoginForm {
    /// Signs in at once with a password given outside the form (ORDERBOARD_PASSWORD with
    /// `--as`), as if it had been typed.
    pub fn sign_in_with(&mut self, password: &Secret) -> Vec<Effect> {
        self.password = Input::new(password.expose().to_string());
        self.focus = LoginField::Password;
        self.submit().into_iter().collect()
    }

    pub fn prefill(&mut self, name: &str) {
        self.name = Input::new(name.to_string());
        self.focus = LoginField::Password;
    }

    pub fn update(&mut self, context: &mut Context, msg: Msg) -> LoginStep {
        let mut effects = Vec::new();
        match msg {
            Msg::Key(key) if !self.busy => match context.keymap.login.action(&key) {
                Some(LoginAction::Quit) => *context.quit = true,
                Some(LoginAction::NextField) => self.focus = self.other_field(),
                Some(LoginAction::SignIn) => effects.extend(self.submit()),
                None => {
                    let field = match self.focus {
                        LoginField::Name => &mut self.name,
                        LoginField::Password => &mut self.password,
                    };
                    field.handle_event(&crossterm::event::Event::Key(key));
                    self.error = None;
                }
            },
            Msg::Paste(text) if !self.busy => {
                let field = match self.focus {
                    LoginField::Name => &mut self.name,
                    LoginField::Password => &mut self.password,
                };
                super::paste::insert(field, &text);
                self.error = None;
            }
            Msg::SignedIn(result) => {
                self.busy = false;
                match result {
                    Ok(actor) => {
                        *context.status =
                            Status::info(format!("signed in as {} ({})", actor.name, actor.role));
                        return LoginStep::SignedIn(actor);
                    }
                    Err(message) => {
                        self.password = Input::default();
                        self.focus = LoginField::Password;
                        self.error = Some(message);
                    }
                }
            }
            _ => {}
        }
        LoginStep::Effects(effects)
    }

    fn other_field(&self) -> LoginField {
        match self.focus {
            LoginField::Name => LoginField::Password,
            LoginField::Password => LoginField::Name,
        }
    }

    fn submit(&mut self) -> Option<Effect> {
        let name = self.name.value().trim().to_string();
        if name.is_empty() {
            self.focus = LoginField::Name;
            self.error = Some("enter your user name".into());
            return None;
        }
        if self.focus == LoginField::Name {
            self.focus = LoginField::Password;
            return None;
        }
        self.busy = true;
        self.error = None;
        let password = Secret::new(self.password.value().to_string());
        Some(Effect::SignIn { name, password })
    }

    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        let theme = context.theme;
        let demo_rows = if self.demo_logins.is_empty() {
            0
        } else {
            self.demo_logins.len() as u16 + 2
        };
        // A refusal (a server's may be long) wraps inside the box, at most four rows.
        let error_rows = match (&self.error, self.busy) {
            (Some(error), false) => crate::tui::widgets::wrap(
                vec![Line::from(Span::styled(
                    display_safe(error).into_owned(),
                    theme.status_error,
                ))],
                48,
            )
            .into_iter()
            .take(4)
            .collect(),
            _ => Vec::new(),
        };
        let extra_rows = error_rows.len().saturating_sub(1) as u16;
        let box_area = centered(area, 52, 11 + demo_rows + extra_rows);
        Clear.render(box_area, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focused)
            .title(Span::styled(" orderboard · sign in ", theme.title));
        let inner = block.inner(box_area);
        block.render(box_area, buf);
        let field = |label: &str, value: String, focused: bool| {
            let style = if focused { theme.highlight } else { theme.text };
            Line::from(vec![
                Span::styled(format!("{label:<10}"), theme.muted),
                Span::styled(format!(" {value:<30} "), style),
            ])
        };
        let masked = "•".repeat(self.password.value().chars().count());
        let mut lines = vec![
            Line::from(""),
            field(
                "User",
                display_safe(self.name.value()).into_owned(),
                self.focus == LoginField::Name,
            ),
            Line::from(""),
            field("Password", masked, self.focus == LoginField::Password),
            Line::from(""),
        ];
        if self.busy {
            lines.push(Line::from(Span::styled("signing in…", theme.muted)));
        } else if error_rows.is_empty() {
            lines.push(Line::from(""));
        } else {
            lines.extend(error_rows);
        }
        lines.push(Line::from(""));
        let hints = context.keymap.login.hints(LoginAction::ALL);
        lines.push(Line::from(hint_spans(&hints, "  ", theme)));
        if !self.demo_logins.is_empty() {
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled("Demo sign-ins:", theme.title)));
            for (name, password, role) in &self.demo_logins {
                lines.push(Line::from(Span::styled(
                    format!("{name:<10} {password:<15} {role:<9}"),
                    theme.text,
                )));
            }
        }
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .render(inner, buf);
        if let Some(status) = context.status {
            let style = if status.error {
                theme.status_error
            } else {
                theme.status_info
            };
            Paragraph::new(Span::styled(status.text.clone(), style))
                .render(Rect::new(0, area.height - 1, area.width, 1), buf);
        }
    }
}
