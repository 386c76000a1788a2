from dynaflow.cli import main

main()
