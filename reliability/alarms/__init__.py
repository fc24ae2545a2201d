"""Alarms: raised once when a cause appears, cleared when it ends, announced on the
dashboard, by e-mail to operators and as signed webhook events (`alarm.raised`,
`alarm.cleared`). `rules` decides from what stations report; `service` keeps the rows;
`safety` stops an e-bike port that overheats or draws more than it is rated for.
"""
