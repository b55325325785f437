//! The `hadacert` binary: all logic lives in the library; see [`hadacert::cli`].
fn main() -> std::process::ExitCode {
    hadacert::cli::main()
}
