//! The `hrform` binary: parse the command line, run the library, exit with a
//! deliberate code. Everything else lives in the library.

fn main() -> std::process::ExitCode {
    hrform::main()
}
