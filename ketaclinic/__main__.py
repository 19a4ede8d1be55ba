from ketaclinic.cli import main

main()
