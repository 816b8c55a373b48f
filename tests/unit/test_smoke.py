from support.cli import run_cli


def test_help_lists_subcommands():
    result = run_cli("--help")
    assert result.returncode == 0
    for name in ("configure-build", "make-build", "configure-host", "make-host", "build", "env",
                 "clean", "run"):
        assert name in result.stdout
