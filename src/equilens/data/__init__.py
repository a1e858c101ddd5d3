"""Reading data sources and checking the columns an audit needs."""
