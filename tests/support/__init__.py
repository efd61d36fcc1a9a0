"""What the tests share beyond factories: the worlds they run in (``worlds``), data built once per module
and handed to each test fresh (``shared``), the settings every test runs under (``pinned``), the API client
helpers (``api``) and the generic permission tests of an API endpoint (``endpoints``)."""
