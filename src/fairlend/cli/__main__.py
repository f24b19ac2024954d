from fairlend.cli import main

main()
