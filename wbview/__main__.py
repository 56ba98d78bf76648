from wbview.cli import main

raise SystemExit(main())
