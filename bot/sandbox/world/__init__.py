"""The sandbox's world in parts: :class:`~bot.sandbox.state.World` combines them."""
