//! The note box a transition asks for before it is applied.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::{Choice, Outcome, Pick};
use crate::tui::action::{ActionSet, InputAction};
use crate::tui::keymap::Bindings;
use crate::tui::view::DrawContext;
use crate::tui::widgets::{hint_spans, input_line, popup};

/// Widest the note box gets on a large terminal.
const MAX_WIDTH: u16 = 70;
const HEIGHT: u16 = 8;

pub struct NoteForm {
    pub choice: Choice,
    pub input: Input,
    pub error: Option<String>,
    pub busy: bool,
}

impl NoteForm {
    pub fn new(choice: Choice) -> NoteForm {
        NoteForm {
            choice,
            input: Input::default(),
            error: None,
            busy: false,
        }
    }

    pub fn on_key(&mut self, keys: &Bindings<InputAction>, key: KeyEvent) -> Outcome {
        if self.busy {
            return Outcome::Stay;
        }
        match keys.action(&key) {
            Some(InputAction::Cancel) => Outcome::Close,
            Some(InputAction::Submit) => {
                let note = self.input.value().trim().to_string();
                if note.is_empty() {
                    self.error = Some(format!("a note is required {}", self.what()));
                    return Outcome::Stay;
                }
                Outcome::Noted(self.choice.clone(), note)
            }
            None => {
                self.input.handle_event(&crossterm::event::Event::Key(key));
                self.error = None;
                Outcome::Stay
            }
        }
    }

    /// What the note is for, as the prompt and its refusal say it.
    fn what(&self) -> &'static str {
        match &self.choice.pick {
            Pick::Transition(_) => "for this transition",
            Pick::Effect(effect) if effect.resolve => {
                "to resolve this effect (why it needs no delivery)"
            }
            Pick::Effect(_) => "to retry this effect",
        }
    }

    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        let theme = context.theme;
        let width = (area.width - 4).min(MAX_WIDTH);
        let title = format!(
            " {} — note for #{} ",
            self.choice.pick.label(),
            self.choice.order_id
        );
        let inner = popup(area, width, HEIGHT, title, theme, buf);
        let ask = format!("A note is required {}:", self.what());
        let mut lines = vec![
            Line::from(Span::styled(ask, theme.text)),
            input_line(&self.input, inner.width as usize, theme),
        ];
        lines.push(match (&self.error, self.busy) {
            (_, true) => Line::from(Span::styled("applying…", theme.muted)),
            (Some(error), _) => Line::from(Span::styled(error.clone(), theme.status_error)),
            _ => Line::from(""),
        });
        let hints = context.keymap.input.hints(InputAction::ALL);
        lines.push(Line::from(hint_spans(&hints, " · ", theme)));
        Paragraph::new(lines).render(inner, buf);
    }
}
