fn main() {
    use cors_tui::engine::*;
    println!("Step {}", std::mem::size_of::<trace::Step>());
    println!("StepEvent {}", std::mem::size_of::<event::StepEvent>());
    println!("Cell {}", std::mem::size_of::<tracker::Cell>());
    println!(
        "RequestRecord {}",
        std::mem::size_of::<trace::RequestRecord>()
    );
}
