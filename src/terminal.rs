//! The terminal: setup, a guard that restores it on every exit path (panics included, mouse
//! capture too), and the event loop that maps keys and mouse to actions.

use std::io::{self, Write, stdout};
use std::time::{Duration, Instant};

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::crossterm::execute;
use ratatui::layout::{Position, Rect};

use crate::app::{Action, App, Panel};
use crate::theme::Theme;
use crate::ui;

/// Restores the terminal when dropped: normal return, early `?` or unwinding.
struct RestoreGuard {
    given_back: bool,
}

impl RestoreGuard {
    /// Gives the terminal back now: how many panics were held while the view was up.
    fn give_back(mut self) -> usize {
        self.given_back = true;
        give_back()
    }
}

impl Drop for RestoreGuard {
    fn drop(&mut self) {
        if !self.given_back {
            give_back();
        }
    }
}

/// Restores the terminal, ends the holding of panics, and tells those held: how many.
fn give_back() -> usize {
    restore();
    if let Ok(mut view) = VIEW_THREAD.lock() {
        *view = None;
    }
    tell_held_panics()
}

/// How the view ended, once it quit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewEnded {
    /// Panics in work the view did in the background (told on standard error by now): the
    /// run failed even though the view stayed up.
    pub work_panicked: usize,
}

/// The view's thread while the view is up. A panic on another thread (the replay, a fix being
/// worked out, a what-if re-run) leaves the terminal to the view, which says that the work
/// stopped; its message waits until the terminal is given back.
static VIEW_THREAD: std::sync::Mutex<Option<std::thread::ThreadId>> = std::sync::Mutex::new(None);

/// The messages of panics held while the view was up.
static HELD_PANICS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Whether a panic on `thread` is held for later, rather than ending the view.
fn held_for_later(thread: std::thread::ThreadId) -> bool {
    VIEW_THREAD
        .lock()
        .is_ok_and(|view| view.is_some_and(|view| view != thread))
}

/// Writes the panics held while the view was up to standard error, escaped (a message may
/// quote the input): how many.
fn tell_held_panics() -> usize {
    let held = HELD_PANICS
        .lock()
        .map(|mut held| std::mem::take(&mut *held))
        .unwrap_or_default();
    for message in &held {
        // Not eprintln!, which panics when the terminal has gone.
        let _ = writeln!(
            io::stderr(),
            "cors-tui: {}",
            crate::safe_text::escape(message)
        );
    }
    held.len()
}

/// Leaves raw mode, the alternate screen and mouse capture, and shows the cursor.
fn restore() {
    // Each step on its own, its error ignored: on a terminal that has gone (a closed tab, a
    // dropped SSH session) every write fails, and `ratatui::restore` prints that failure, which
    // panics on the same dead terminal and kept the process from exiting.
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        ratatui::crossterm::cursor::Show
    );
    let _ = ratatui::crossterm::terminal::disable_raw_mode();
    let _ = execute!(stdout(), ratatui::crossterm::terminal::LeaveAlternateScreen);
}

/// Enters what [`restore`] leaves (after a suspended process is continued), and has the view
/// draw itself anew.
fn enter() {
    let _ = ratatui::crossterm::terminal::enable_raw_mode();
    let _ = execute!(
        stdout(),
        ratatui::crossterm::terminal::EnterAlternateScreen,
        EnableMouseCapture
    );
    RESUMED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Restores the terminal, tells the panics held while the view was up, and exits with `code`.
fn restore_and_exit(code: i32) -> ! {
    restore();
    tell_held_panics();
    std::process::exit(code)
}

/// Whether q, Esc or Ctrl-C was pressed while the view was still loading (raw mode turns
/// Ctrl-C into a key, so no signal comes).
fn quit_requested() -> bool {
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};
    while event::poll(Duration::ZERO).unwrap_or(false) {
        if let Ok(Event::Key(key)) = event::read() {
            let ctrl_c =
                key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
            if ctrl_c || matches!(key.code, KeyCode::Char('q') | KeyCode::Esc) {
                return true;
            }
        }
    }
    false
}

/// Set when the process was stopped and continued: the screen must be drawn anew.
static RESUMED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Watches for the signals that end or stop a process (`kill`, `timeout`, a closed terminal
/// tab, job control) on a thread of its own, where restoring the terminal is safe: a signal
/// handler itself may do almost nothing. A terminating signal restores the terminal and exits
/// with 128 + its number, as the shell expects; a stop restores it, stops, and on continuing
/// takes the terminal back.
fn watch_signals() -> io::Result<()> {
    use signal_hook::consts::{SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                // Holding standard output keeps the view from drawing between the restore and
                // the exit or stop: a frame drawn there hides the cursor again (seen once, on a
                // loaded machine, where this thread waited after restoring).
                let _output = stdout().lock();
                match signal {
                    SIGTSTP => {
                        restore();
                        let _ = signal_hook::low_level::emulate_default_handler(SIGTSTP);
                        // Continued: the terminal is taken back before the view can draw.
                        enter();
                    }
                    // After a stop that could not be caught (SIGSTOP), or the one above.
                    SIGCONT => enter(),
                    _ => restore_and_exit(128 + signal),
                }
            }
        })?;
    Ok(())
}

/// Runs the interactive UI until the user quits. `build` makes the app: it parses the input and
/// runs the engine, telling the loading function it is given what it is doing and, while
/// simulating, how many of how many requests are done; the loading screen shows that (a large
/// recording takes seconds). An error from `build` comes back once the terminal is restored.
pub fn run<E>(
    theme: &Theme,
    build: impl FnOnce(&mut ShowLoading) -> Result<App, E>,
) -> io::Result<Result<ViewEnded, E>> {
    // ratatui::init enters raw mode and the alternate screen and installs a panic hook that
    // restores them; it does not know about mouse capture, so chain a hook that turns it off.
    let mut terminal = ratatui::init();
    if let Ok(mut view) = VIEW_THREAD.lock() {
        *view = Some(std::thread::current().id());
    }
    let ratatui_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        if held_for_later(thread.id()) {
            let name = thread.name().unwrap_or("<unnamed>");
            if let Ok(mut held) = HELD_PANICS.lock() {
                held.push(format!("thread '{name}' {info}"));
            }
            return;
        }
        let _ = execute!(stdout(), DisableMouseCapture);
        ratatui_hook(info);
    }));
    let guard = RestoreGuard { given_back: false };
    watch_signals()?;
    execute!(stdout(), EnableMouseCapture)?;
    let mut drawn: Option<(String, Instant)> = None;
    let mut draw_error = None;
    let built = build(&mut |headline, progress| {
        // A new headline is drawn at once, progress under it at most every LOADING_REDRAW.
        let due = drawn
            .as_ref()
            .is_none_or(|(last, at)| last != headline || at.elapsed() >= LOADING_REDRAW);
        if due && quit_requested() {
            // Nothing is shown yet, so nothing is lost: leave at once, as Ctrl-C would.
            restore_and_exit(130);
        }
        if due && draw_error.is_none() {
            let result =
                terminal.draw(|frame| ui::render_loading(frame, theme, headline, progress));
            draw_error = result.err();
            drawn = Some((headline.to_string(), Instant::now()));
        }
    });
    if let Some(err) = draw_error {
        return Err(err);
    }
    let ended = match built {
        Ok(mut app) => event_loop(&mut terminal, &mut app).map(Ok),
        Err(err) => Ok(Err(err)),
    };
    let work_panicked = guard.give_back();
    ended.map(|ended| ended.map(|()| ViewEnded { work_panicked }))
}

/// What the loading screen is told: a headline, and while simulating, requests done of all.
pub type ShowLoading<'a> = dyn FnMut(&str, Option<(usize, usize)>) + 'a;

/// The longest the event loop waits for a key before it looks at its flags again.
const IDLE_WAKE: Duration = Duration::from_millis(250);

/// How often the loading screen is redrawn while the engine runs.
const LOADING_REDRAW: Duration = Duration::from_millis(100);

fn event_loop(terminal: &mut DefaultTerminal, app: &mut App) -> io::Result<()> {
    let mut last_tick = Instant::now();
    loop {
        if RESUMED.swap(false, std::sync::atomic::Ordering::SeqCst) {
            terminal.clear()?;
        }
        app.poll_background();
        terminal.draw(|frame| ui::render(app, frame))?;
        if app.quit {
            return Ok(());
        }
        // Woken now and then without a key, to redraw after the process was continued, and
        // often while a what-if edit or a fix is worked out or a recording replayed, to show how
        // far it is.
        let timeout = if app.autoplay {
            app.autoplay_interval().saturating_sub(last_tick.elapsed())
        } else if app.recomputing.is_some() || app.replaying.is_some() || app.working_out_fix() {
            LOADING_REDRAW
        } else {
            IDLE_WAKE
        }
        .min(IDLE_WAKE);
        if event::poll(timeout)? {
            match event::read()? {
                Event::Key(key) => {
                    if let Some(action) = app.action_for_key(&key) {
                        app.update(action);
                        last_tick = Instant::now();
                    }
                }
                Event::Mouse(mouse) => {
                    let size = terminal.size()?;
                    for action in
                        mouse_actions(app, Rect::new(0, 0, size.width, size.height), mouse)
                    {
                        app.update(action);
                    }
                }
                // The next loop iteration redraws at the new size.
                Event::Resize(..) => {}
                _ => {}
            }
        }
        if let Some(text) = app.copy_requested.take() {
            copy_to_clipboard(terminal, &text)?;
        }
        if app.save_requested {
            app.save_requested = false;
            let (saved, message) = save(app);
            if saved {
                app.mark_saved();
            }
            app.status = Some(message);
        }
        if app.autoplay && last_tick.elapsed() >= app.autoplay_interval() {
            app.update(Action::Tick);
            last_tick = Instant::now();
        }
    }
}

/// Puts `text` on the clipboard of the terminal (or of the machine the SSH session comes
/// from) with OSC 52: base64, so nothing in it reaches the terminal as control characters.
fn copy_to_clipboard<B: ratatui::backend::Backend + io::Write>(
    terminal: &mut ratatui::Terminal<B>,
    text: &str,
) -> io::Result<()> {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let backend = terminal.backend_mut();
    write!(backend, "\x1b]52;c;{encoded}\x07")?;
    io::Write::flush(backend)
}

/// Writes the edited scenario to a new file; returns whether it was written and the message to
/// show.
fn save(app: &App) -> (bool, String) {
    let source_is_file = std::path::Path::new(&app.source).is_file();
    // Any entry is taken, a dangling link too.
    let path = crate::analysis::whatif::save_path(&app.source, source_is_file, |p| {
        std::fs::symlink_metadata(p).is_ok()
    });
    let edited = !app.undo.is_empty();
    let saved = crate::analysis::whatif::saved_scenario(&app.scenario, &app.trace, edited);
    let raw = crate::scenario::write::to_raw(&saved);
    let text = serde_json::to_string_pretty(&raw).unwrap_or_default() + "\n";
    // Never over a file, even one that appeared since the name was chosen; nothing partial
    // is left behind when the disk is full.
    let written =
        crate::output_file::write_whole(&path, false, |out| out.write_all(text.as_bytes()));
    // The status line escapes what it shows.
    let shown = path.display();
    let dropped = edited && (!app.scenario.moments.is_empty() || !app.scenario.quiz.is_empty());
    let message = match &written {
        Ok(()) if dropped => format!(
            "Saved the edited scenario to {shown} (without the lesson's key moments and quiz: they describe the original run)"
        ),
        Ok(()) => format!("Saved the edited scenario to {shown}"),
        Err(err) => format!("Could not save to {shown}: {err}"),
    };
    (written.is_ok(), message)
}

/// A click on a table row jumps to it; the wheel scrolls the panel under the pointer.
pub fn mouse_actions(app: &App, area: Rect, mouse: MouseEvent) -> Vec<Action> {
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => ui::step_at(app, area, mouse.column, mouse.row)
            .map(|step| vec![Action::Jump(step)])
            .unwrap_or_default(),
        MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
            let Some(panel) = ui::panel_at(app, area, Position::new(mouse.column, mouse.row))
            else {
                return Vec::new();
            };
            let scroll = if mouse.kind == MouseEventKind::ScrollUp {
                Action::ScrollUp
            } else {
                Action::ScrollDown
            };
            let mut actions = Vec::new();
            // Focus the panel under the pointer first, so the wheel scrolls what it points at.
            let steps = (panel.index() + Panel::ALL.len() - app.focus.index()) % Panel::ALL.len();
            actions.extend(std::iter::repeat_n(Action::FocusNext, steps));
            actions.push(scroll);
            actions
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_off_the_views_thread_is_held_only_while_the_view_is_up() {
        let view = std::thread::current().id();
        let worker = match std::thread::spawn(|| std::thread::current().id()).join() {
            Ok(id) => id,
            Err(_) => panic!("the worker thread"),
        };
        let set = |thread| match VIEW_THREAD.lock() {
            Ok(mut held) => *held = thread,
            Err(_) => panic!("the view's thread is poisoned"),
        };
        assert!(!held_for_later(worker), "no view is up");
        set(Some(view));
        assert!(held_for_later(worker), "a worker's panic waits");
        assert!(!held_for_later(view), "the view's own panic ends it");
        set(None);
        assert!(!held_for_later(worker), "the view has gone");
    }

    #[test]
    fn the_panics_held_are_counted_once_when_told() {
        match HELD_PANICS.lock() {
            Ok(mut held) => held.extend(["thread 'fix' panicked".into(), "and again".into()]),
            Err(_) => panic!("the held panics are poisoned"),
        }
        assert_eq!(tell_held_panics(), 2);
        assert_eq!(tell_held_panics(), 0, "told once, then gone");
    }
}
