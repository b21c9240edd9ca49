"""The web UI's text in English and Chinese, and how a request's language is chosen.

Every user-visible string of the pages, forms, error pages and the page script lives in
``CATALOG`` under a key; templates call ``t("key", name=value)``. The language is the
``lp_lang`` cookie (set by the switch in the page header) when it names a supported
language, otherwise the best supported match of ``Accept-Language``, otherwise English.

The text written by the model (roadmaps, tutorials, quizzes) is in the roadmap's own
language and is not translated; pages mark it with its ``lang``.
"""

from __future__ import annotations

from typing import Final

from fastapi import Request

UI_LANGUAGES: Final = ("en", "zh")
DEFAULT_LANGUAGE: Final = "en"
LANGUAGE_COOKIE: Final = "lp_lang"
#: Each UI language's name in that language, for the switch.
LANGUAGE_SELF_NAMES: Final = {"en": "English", "zh": "中文"}

EN: dict[str, str] = {
    # Page frame
    "site.tagline": "learnpath — personalised learning roadmaps",
    "nav.label": "Main",
    "nav.new": "New roadmap",
    "nav.tasks": "My tasks",
    "nav.signed_in_as": "Signed in as",
    "nav.sign_out": "Sign out",
    "lang.label": "Language",
    "lang.switch": "Show the pages in {name}",
    # Status and steps
    "status.pending": "Queued",
    "status.processing": "Running",
    "status.human_review_pending": "Waiting for review",
    "status.completed": "Completed",
    "status.partial_failure": "Partly failed",
    "status.failed": "Failed",
    "status.canceled": "Canceled",
    "step.queued": "Queued",
    "step.intent_analysis": "Understanding the goal",
    "step.curriculum_design": "Designing the curriculum",
    "step.structure_validation": "Checking the structure",
    "step.roadmap_edit": "Editing the roadmap",
    "step.human_review": "Human review",
    "step.content_generation": "Writing tutorials, resources and quizzes",
    "step.done": "Done",
    "state.done": "done",
    "state.active": "running",
    "state.waiting": "waiting for you",
    "state.failed": "failed",
    "state.stopped": "stopped",
    "state.todo": "to do",
    "state.runs": "{count} runs",
    # Activity (event types)
    "event.task_created": "task created",
    "event.task_started": "task started",
    "event.task_requeued": "task queued again",
    "event.task_released": "task released",
    "event.task_retried": "task retried",
    "event.task_finished": "task finished",
    "event.task_completed": "task completed",
    "event.task_partially_failed": "task partly failed",
    "event.task_failed": "task failed",
    "event.task_canceled": "task canceled",
    "event.cancel_requested": "cancel requested",
    "event.step_started": "step started",
    "event.step_completed": "step completed",
    "event.step_failed": "step failed",
    "event.review_required": "review required",
    "event.review_decided": "review decided",
    "event.concept_completed": "concept ready",
    "event.concept_failed": "concept failed",
    "event.content_failed": "content failed",
    "event.concept_regenerating": "concept being regenerated",
    "event.worker_lost": "worker lost, task recovered",
    # Shared bits
    "offline.title": "Offline sample content.",
    "offline.roadmap": "This roadmap was written by the built-in offline model: it is "
    "deterministic sample content, not advice from a real language model.",
    "offline.task": "This task runs on the built-in offline model: the curriculum and the "
    "content are deterministic sample content, not advice from a real language model.",
    "offline.howto": "To generate real content, set {model} (for example {example} with "
    "{api_key}) and generate the roadmap again.",
    "generic.hours": "{hours} h",
    "generic.optional": "(optional)",
    "generic.what_to_do": "What to do:",
    # New roadmap form
    "new.title": "New roadmap",
    "new.heading": "Plan a new learning roadmap",
    "new.lead": "Describe what you want to learn. learnpath designs a Stage → Module → "
    "Concept curriculum for you, then writes a tutorial, resources and a quiz for every "
    "concept.",
    "new.errors": "Some fields need attention; nothing was submitted yet.",
    "new.goal": "Goal",
    "new.goal_placeholder": "e.g. Become a backend engineer who can build and deploy REST APIs",
    "new.level": "Current level",
    "new.hours_per_week": "Hours per week",
    "new.timeframe": "Time frame",
    "new.for": "For",
    "new.weeks": "weeks",
    "new.weeks_label": "Number of weeks",
    "new.until": "Until",
    "new.deadline_label": "Deadline",
    "new.background": "Background",
    "new.background_placeholder": "What you already know, e.g. some Python scripting, no web "
    "experience",
    "new.tech_stack": "Tech stack",
    "new.tech_stack_hint": "(comma-separated, optional)",
    "new.tech_stack_placeholder": "Python, PostgreSQL, Docker",
    "new.language": "Language of the content",
    "new.preferences": "I learn best with",
    "new.review": "Let me review the curriculum before the content is written",
    "new.submit": "Generate roadmap",
    "level.beginner": "Beginner",
    "level.intermediate": "Intermediate",
    "level.advanced": "Advanced",
    "pref.video": "Video",
    "pref.text": "Text",
    "pref.hands_on": "Hands-on practice",
    "pref.projects": "Projects",
    "language.en": "English",
    "language.zh": "Chinese",
    "language.es": "Spanish",
    "language.fr": "French",
    "language.de": "German",
    "language.ja": "Japanese",
    "language.pt": "Portuguese",
    "form.goal_short": "Describe your goal in a few words (at least 3 characters).",
    "form.hours": "Enter a whole number of hours per week between 1 and 168.",
    "form.weeks": "Enter a whole number of weeks between 1 and 520.",
    "form.deadline_invalid": "Enter a valid date (YYYY-MM-DD).",
    "form.deadline_past": "The deadline is in the past; pick a future date.",
    "form.deadline_missing": "Pick a date, or choose a number of weeks instead.",
    "form.invalid": "This value is not valid.",
    # Task list
    "tasks.title": "My tasks",
    "tasks.empty": "No roadmaps yet.",
    "tasks.first": "Plan your first one",
    "tasks.goal": "Goal",
    "tasks.status": "Status",
    "tasks.step": "Step",
    "tasks.content": "Content",
    "tasks.created": "Created",
    "tasks.open_roadmap": "Open roadmap",
    "tasks.older": "Older tasks →",
    # Task page
    "task.eyebrow": "Roadmap task",
    "task.live": "live",
    "task.created": "Created {when}",
    "task.finished": "finished {when}",
    "task.current_step": "current step:",
    "task.open_roadmap": "Open roadmap",
    "task.cancel": "Cancel task",
    "task.canceling": "Canceling…",
    "task.partial_heading": "Some content could not be generated",
    "task.failed_heading": "The task failed",
    "task.error_step": "Step",
    "task.error_code": "Code",
    "task.error_message": "What happened",
    "task.partial_text": "The roadmap is usable; the concepts marked as failed have no "
    "content yet. Retry to generate only those.",
    "task.retry": "Retry",
    "task.retry_failed": "Retry failed items",
    "task.canceled_text": "This task was canceled.",
    "task.start_new": "Start a new roadmap",
    "task.canceled_after": "to try again.",
    "task.progress": "Progress",
    "task.concepts_with_content": "Concepts with content:",
    "task.content_after_review": "Content is written after you approve the curriculum.",
    "task.content_not_started": "Content is written once the curriculum is ready.",
    "task.activity": "Activity",
    "task.earlier_events": "{count} earlier events are not shown.",
    "review.heading": "Review the proposed curriculum",
    "review.lead": "Check the structure below. Approve it to start writing the content, or "
    "reject it with feedback: the editor revises the roadmap and you review it again.",
    "review.open_issues": "Open validation issues",
    "review.no_issues": "The validator found no open issues.",
    "review.approve": "Approve and write the content",
    "review.what_change": "What should change?",
    "review.feedback_placeholder": "e.g. Add a module on testing and drop the history of the web",
    "review.reject": "Reject with feedback",
    "review.choose": "Choose Approve, or Reject with feedback.",
    "severity.error": "error",
    "severity.warning": "warning",
    "severity.info": "info",
    # Roadmap page
    "roadmap.eyebrow": "Roadmap · generated by",
    "roadmap.goal": "Goal:",
    "roadmap.task_details": "task details",
    "roadmap.finished_of": "You have finished {done} of {total} concepts.",
    "roadmap.still_running": "Content is still being generated ({done}/{total} concepts ready).",
    "roadmap.watch": "Watch the progress",
    "roadmap.come_back": "and come back when it is done.",
    "roadmap.contents": "Contents",
    "roadmap.contents_label": "Roadmap contents",
    "roadmap.stage": "Stage {number}",
    "roadmap.done": "done",
    "roadmap.quiz_badge": "quiz {score}",
    "roadmap.minutes": "(about {minutes} minutes)",
    "roadmap.resources": "Resources",
    "roadmap.unverified": "unverified link",
    "roadmap.unverified_title": "No search provider confirmed this link; it may not exist.",
    "roadmap.no_link": "(no link — search for it by name)",
    "roadmap.quiz": "Quiz",
    "roadmap.your_score": "Your score:",
    "roadmap.correct": "Correct: {answer}",
    "roadmap.you_answered": "You answered: {picked} · correct answer: {answer}",
    "roadmap.nothing": "nothing",
    "roadmap.submit_again": "Submit again",
    "roadmap.check_answers": "Check my answers",
    "roadmap.mark_done": "Mark as done",
    "roadmap.mark_not_done": "Mark as not done",
    "roadmap.regenerate_summary": "Regenerate this concept's content",
    "roadmap.instructions": "Instructions for the new version",
    "roadmap.instructions_placeholder": "e.g. More examples in Python, shorter explanations",
    "roadmap.regenerate": "Regenerate",
    "roadmap.regenerate_wait": "Wait until the current generation has finished",
    "content.tutorial": "tutorial",
    "content.resources": "resources",
    "content.quiz": "quiz",
    "content.failed": "The {kind} could not be generated: {reason}. Retry the task or "
    "regenerate this concept.",
    "content.unknown_reason": "unknown reason",
    "content.pending": "The {kind} is being written…",
    "content.missing": "No {kind} yet.",
    "resource.article": "article",
    "resource.video": "video",
    "resource.course": "course",
    "resource.book": "book",
    "resource.documentation": "documentation",
    "resource.exercise": "exercise",
    "resource.tool": "tool",
    "difficulty.easy": "easy",
    "difficulty.medium": "medium",
    "difficulty.hard": "hard",
    # Sign in and out
    "login.title": "Sign in",
    "login.text": "Paste the access token you were given. An administrator creates one with "
    "{command}; it is shown only once.",
    "login.token": "Access token",
    "login.submit": "Sign in",
    "login.invalid": "That token is not valid. Paste the whole token printed by {command}, "
    "or ask your administrator for a new one.",
    "login.missing": "Paste your access token to sign in.",
    "logout.title": "Sign out",
    "logout.text": "Signing out removes your token from this browser. You need the token "
    "again to sign back in.",
    "logout.submit": "Sign out",
    # Error pages
    "error.go_tasks": "Go to my tasks",
    "error.start_new": "Start a new roadmap",
    "error.not_found.title": "Not found",
    "error.not_found.message": "There is no such task or roadmap in your account.",
    "error.not_found.hint": "Check the link, or open your task list to find what you were "
    "looking for.",
    "error.conflict.title": "That could not be done now",
    "error.conflict.hint": "Reload the task page to see its current state, then try again.",
    "error.bad_link.title": "This link is not valid",
    "error.bad_link.message": "The address has a value learnpath cannot use.",
    "error.bad_link.hint": "Go back and follow a link from the page instead of editing the "
    "address.",
    "error.outage.title": "learnpath is briefly unavailable",
    "error.outage.message": "Its database cannot be reached right now.",
    "error.outage.hint": "Wait a few seconds, then reload the page (or go back and send the "
    "form again): everything works as soon as the database is back.",
    "error.internal.title": "Something went wrong",
    "error.internal.message": "learnpath could not show this page because of an internal error.",
    "error.internal.hint": "Try again in a moment. If it keeps happening, run {command} and "
    "check the server log.",
    "error.starting.title": "The service is starting",
    "error.starting.message": "learnpath is not ready to serve pages yet.",
    "error.starting.hint": "Wait a few seconds and reload the page.",
    "error.csrf.title": "The form could not be verified",
    "error.csrf.message": "This form was not sent from a current learnpath page, so nothing "
    "was changed.",
    "error.csrf.hint": "Go back, reload the page and submit the form again.",
    "error.instructions.title": "The instructions are too long",
    "error.instructions.message": "Instructions can be at most {limit} characters.",
    "error.instructions.hint": "Go back, shorten them and submit again.",
}

ZH: dict[str, str] = {
    "site.tagline": "learnpath — 个性化学习路线图",
    "nav.label": "主导航",
    "nav.new": "新建路线图",
    "nav.tasks": "我的任务",
    "nav.signed_in_as": "当前用户",
    "nav.sign_out": "退出登录",
    "lang.label": "语言",
    "lang.switch": "以{name}显示页面",
    "status.pending": "排队中",
    "status.processing": "进行中",
    "status.human_review_pending": "等待审核",
    "status.completed": "已完成",
    "status.partial_failure": "部分失败",
    "status.failed": "失败",
    "status.canceled": "已取消",
    "step.queued": "排队中",
    "step.intent_analysis": "理解学习目标",
    "step.curriculum_design": "设计课程结构",
    "step.structure_validation": "检查结构",
    "step.roadmap_edit": "修改路线图",
    "step.human_review": "人工审核",
    "step.content_generation": "撰写教程、资源和测验",
    "step.done": "完成",
    "state.done": "已完成",
    "state.active": "进行中",
    "state.waiting": "等待你处理",
    "state.failed": "失败",
    "state.stopped": "已停止",
    "state.todo": "待进行",
    "state.runs": "运行 {count} 次",
    "event.task_created": "任务已创建",
    "event.task_started": "任务已开始",
    "event.task_requeued": "任务重新排队",
    "event.task_released": "任务已释放",
    "event.task_retried": "任务已重试",
    "event.task_finished": "任务已结束",
    "event.task_completed": "任务已完成",
    "event.task_partially_failed": "任务部分失败",
    "event.task_failed": "任务失败",
    "event.task_canceled": "任务已取消",
    "event.cancel_requested": "已请求取消",
    "event.step_started": "步骤开始",
    "event.step_completed": "步骤完成",
    "event.step_failed": "步骤失败",
    "event.review_required": "需要审核",
    "event.review_decided": "审核已决定",
    "event.concept_completed": "知识点内容就绪",
    "event.concept_failed": "知识点生成失败",
    "event.content_failed": "内容生成失败",
    "event.concept_regenerating": "知识点正在重新生成",
    "event.worker_lost": "工作进程丢失,任务已恢复",
    "offline.title": "离线示例内容。",
    "offline.roadmap": "此路线图由内置的离线模型生成:它是确定性的示例内容,"
    "并非来自真实语言模型的建议。",
    "offline.task": "此任务使用内置的离线模型:课程结构和内容都是确定性的示例内容,"
    "并非来自真实语言模型的建议。",
    "offline.howto": "如需生成真实内容,请设置 {model}(例如 {example},并设置 {api_key}),"
    "然后重新生成路线图。",
    "generic.hours": "{hours} 小时",
    "generic.optional": "(可选)",
    "generic.what_to_do": "建议操作:",
    "new.title": "新建路线图",
    "new.heading": "规划新的学习路线图",
    "new.lead": "描述你想学习的内容。learnpath 会为你设计“阶段 → 模块 → 知识点”的课程结构,"
    "并为每个知识点撰写教程、推荐资源和测验。",
    "new.errors": "有些字段需要修改;尚未提交任何内容。",
    "new.goal": "学习目标",
    "new.goal_placeholder": "例如:成为能构建并部署 REST API 的后端工程师",
    "new.level": "当前水平",
    "new.hours_per_week": "每周学习小时数",
    "new.timeframe": "时间范围",
    "new.for": "学习",
    "new.weeks": "周",
    "new.weeks_label": "周数",
    "new.until": "截止到",
    "new.deadline_label": "截止日期",
    "new.background": "背景",
    "new.background_placeholder": "你已经掌握的内容,例如:会写一些 Python 脚本,没有 Web 经验",
    "new.tech_stack": "技术栈",
    "new.tech_stack_hint": "(用逗号分隔,可选)",
    "new.tech_stack_placeholder": "Python, PostgreSQL, Docker",
    "new.language": "内容语言",
    "new.preferences": "我更喜欢的学习方式",
    "new.review": "在撰写内容之前让我审核课程结构",
    "new.submit": "生成路线图",
    "level.beginner": "入门",
    "level.intermediate": "中级",
    "level.advanced": "高级",
    "pref.video": "视频",
    "pref.text": "文字",
    "pref.hands_on": "动手实践",
    "pref.projects": "项目",
    "language.en": "英语",
    "language.zh": "中文",
    "language.es": "西班牙语",
    "language.fr": "法语",
    "language.de": "德语",
    "language.ja": "日语",
    "language.pt": "葡萄牙语",
    "form.goal_short": "请用几个词描述你的目标(至少 3 个字符)。",
    "form.hours": "请输入 1 到 168 之间的整数小时数。",
    "form.weeks": "请输入 1 到 520 之间的整数周数。",
    "form.deadline_invalid": "请输入有效日期(YYYY-MM-DD)。",
    "form.deadline_past": "截止日期已经过去;请选择未来的日期。",
    "form.deadline_missing": "请选择一个日期,或改为填写周数。",
    "form.invalid": "此值无效。",
    "tasks.title": "我的任务",
    "tasks.empty": "还没有路线图。",
    "tasks.first": "规划你的第一个路线图",
    "tasks.goal": "目标",
    "tasks.status": "状态",
    "tasks.step": "步骤",
    "tasks.content": "内容",
    "tasks.created": "创建时间",
    "tasks.open_roadmap": "打开路线图",
    "tasks.older": "更早的任务 →",
    "task.eyebrow": "路线图任务",
    "task.live": "实时",
    "task.created": "创建于 {when}",
    "task.finished": "完成于 {when}",
    "task.current_step": "当前步骤:",
    "task.open_roadmap": "打开路线图",
    "task.cancel": "取消任务",
    "task.canceling": "正在取消…",
    "task.partial_heading": "部分内容未能生成",
    "task.failed_heading": "任务失败",
    "task.error_step": "步骤",
    "task.error_code": "错误代码",
    "task.error_message": "发生了什么",
    "task.partial_text": "路线图可以使用;标记为失败的知识点还没有内容。重试只会生成这些内容。",
    "task.retry": "重试",
    "task.retry_failed": "重试失败的项目",
    "task.canceled_text": "此任务已取消。",
    "task.start_new": "新建路线图",
    "task.canceled_after": "以重新开始。",
    "task.progress": "进度",
    "task.concepts_with_content": "已有内容的知识点:",
    "task.content_after_review": "你批准课程结构之后才会开始撰写内容。",
    "task.content_not_started": "课程结构完成后才会开始撰写内容。",
    "task.activity": "活动记录",
    "task.earlier_events": "另有 {count} 条更早的记录未显示。",
    "review.heading": "审核拟定的课程结构",
    "review.lead": "请检查下面的结构。批准后开始撰写内容;或者填写反馈并驳回:"
    "编辑会修改路线图,然后由你再次审核。",
    "review.open_issues": "未解决的校验问题",
    "review.no_issues": "校验器没有发现未解决的问题。",
    "review.approve": "批准并撰写内容",
    "review.what_change": "需要修改什么?",
    "review.feedback_placeholder": "例如:增加一个关于测试的模块,去掉 Web 发展史",
    "review.reject": "填写反馈并驳回",
    "review.choose": "请选择“批准”,或填写反馈后“驳回”。",
    "severity.error": "错误",
    "severity.warning": "警告",
    "severity.info": "提示",
    "roadmap.eyebrow": "路线图 · 生成者",
    "roadmap.goal": "目标:",
    "roadmap.task_details": "任务详情",
    "roadmap.finished_of": "你已完成 {total} 个知识点中的 {done} 个。",
    "roadmap.still_running": "内容仍在生成中(已就绪 {done}/{total} 个知识点)。",
    "roadmap.watch": "查看进度",
    "roadmap.come_back": ",完成后再回来。",
    "roadmap.contents": "目录",
    "roadmap.contents_label": "路线图目录",
    "roadmap.stage": "第 {number} 阶段",
    "roadmap.done": "已完成",
    "roadmap.quiz_badge": "测验 {score}",
    "roadmap.minutes": "(约 {minutes} 分钟)",
    "roadmap.resources": "学习资源",
    "roadmap.unverified": "未验证的链接",
    "roadmap.unverified_title": "没有搜索服务确认过此链接;它可能不存在。",
    "roadmap.no_link": "(无链接 — 请按名称搜索)",
    "roadmap.quiz": "测验",
    "roadmap.your_score": "你的得分:",
    "roadmap.correct": "回答正确:{answer}",
    "roadmap.you_answered": "你的回答:{picked} · 正确答案:{answer}",
    "roadmap.nothing": "未作答",
    "roadmap.submit_again": "再次提交",
    "roadmap.check_answers": "检查答案",
    "roadmap.mark_done": "标记为已完成",
    "roadmap.mark_not_done": "标记为未完成",
    "roadmap.regenerate_summary": "重新生成此知识点的内容",
    "roadmap.instructions": "对新版本的要求",
    "roadmap.instructions_placeholder": "例如:多一些 Python 示例,解释更简短",
    "roadmap.regenerate": "重新生成",
    "roadmap.regenerate_wait": "请等待当前生成结束",
    "content.tutorial": "教程",
    "content.resources": "学习资源",
    "content.quiz": "测验",
    "content.failed": "{kind}未能生成:{reason}。请重试任务或重新生成此知识点。",
    "content.unknown_reason": "原因未知",
    "content.pending": "正在撰写{kind}…",
    "content.missing": "还没有{kind}。",
    "resource.article": "文章",
    "resource.video": "视频",
    "resource.course": "课程",
    "resource.book": "书籍",
    "resource.documentation": "文档",
    "resource.exercise": "练习",
    "resource.tool": "工具",
    "difficulty.easy": "简单",
    "difficulty.medium": "中等",
    "difficulty.hard": "困难",
    "login.title": "登录",
    "login.text": "请粘贴你获得的访问令牌。管理员可以用 {command} 创建令牌;令牌只显示一次。",
    "login.token": "访问令牌",
    "login.submit": "登录",
    "login.invalid": "该令牌无效。请粘贴 {command} 输出的完整令牌,或向管理员申请新的令牌。",
    "login.missing": "请粘贴访问令牌以登录。",
    "logout.title": "退出登录",
    "logout.text": "退出登录会从此浏览器中删除你的令牌。再次登录时需要重新输入令牌。",
    "logout.submit": "退出登录",
    "error.go_tasks": "前往我的任务",
    "error.start_new": "新建路线图",
    "error.not_found.title": "未找到",
    "error.not_found.message": "你的账户中没有这个任务或路线图。",
    "error.not_found.hint": "请检查链接,或打开任务列表查找你要的内容。",
    "error.conflict.title": "现在无法执行此操作",
    "error.conflict.hint": "请重新加载任务页面查看其当前状态,然后再试一次。",
    "error.bad_link.title": "此链接无效",
    "error.bad_link.message": "地址中包含 learnpath 无法使用的值。",
    "error.bad_link.hint": "请返回并点击页面上的链接,而不要手动修改地址。",
    "error.outage.title": "learnpath 暂时不可用",
    "error.outage.message": "目前无法连接到数据库。",
    "error.outage.hint": "请等待几秒钟后重新加载页面(或返回并再次提交表单):"
    "数据库恢复后一切都会正常。",
    "error.internal.title": "出错了",
    "error.internal.message": "由于内部错误,learnpath 无法显示此页面。",
    "error.internal.hint": "请稍后再试。如果问题持续出现,请运行 {command} 并查看服务器日志。",
    "error.starting.title": "服务正在启动",
    "error.starting.message": "learnpath 还不能提供页面。",
    "error.starting.hint": "请等待几秒钟后重新加载页面。",
    "error.csrf.title": "无法验证此表单",
    "error.csrf.message": "此表单不是从当前的 learnpath 页面提交的,因此没有做任何更改。",
    "error.csrf.hint": "请返回,重新加载页面后再次提交表单。",
    "error.instructions.title": "要求太长",
    "error.instructions.message": "要求最多 {limit} 个字符。",
    "error.instructions.hint": "请返回,缩短后再次提交。",
}

CATALOG: Final[dict[str, dict[str, str]]] = {"en": EN, "zh": ZH}


def translate(language: str, key: str, **params: object) -> str:
    """The text of ``key`` in ``language`` (English if missing there), with ``params`` filled.

    A key missing from the catalog raises ``KeyError``: the catalog test keeps every key a
    template or module uses present in both languages.
    """
    table = CATALOG.get(language, EN)
    text = table.get(key)
    if text is None:
        text = EN[key]
    return text.format(**params) if params else text


def label(language: str, prefix: str, value: object) -> str:
    """The label of an identifier from the data (a status, an event type…).

    Identifiers come from the workflow and may be new; an unknown one is shown as it is,
    with underscores as spaces, instead of failing the page.
    """
    key = f"{prefix}.{value}"
    if key in EN:
        return translate(language, key)
    return str(value).replace("_", " ")


def _from_accept_language(header: str) -> str | None:
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in UI_LANGUAGES and quality > 0:
            choices.append((-quality, index, primary))
    return min(choices)[2] if choices else None


def ui_language(request: Request) -> str:
    """This request's UI language: the ``lp_lang`` cookie, then ``Accept-Language``, then ``en``."""
    cached: str | None = getattr(request.state, "ui_language", None)
    if cached is not None:
        return cached
    chosen: str | None = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen not in UI_LANGUAGES:
        chosen = _from_accept_language(request.headers.get("accept-language", ""))
    language = chosen or DEFAULT_LANGUAGE
    request.state.ui_language = language
    return language
