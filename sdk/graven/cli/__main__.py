from graven.cli.main import main

main()
