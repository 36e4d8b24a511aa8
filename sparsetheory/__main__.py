from sparsetheory.cli import main

raise SystemExit(main())
