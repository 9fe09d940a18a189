from sdgbridge.cli import main

main()
