"""`python -m server.cli ...` runs the `abri` command."""
from server.cli import main

main()
