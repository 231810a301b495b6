from tasklane.api import new_router

router = new_router(tags=["tasks"])
