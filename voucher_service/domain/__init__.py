"""Pure rules of the program: no I/O, no database, no clock. Each cites its policy clause."""
