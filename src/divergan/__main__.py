from divergan.cli import main

raise SystemExit(main())
