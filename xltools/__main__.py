from xltools.cli import main

main()
