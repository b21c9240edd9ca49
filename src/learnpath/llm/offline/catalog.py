"""Topic catalog behind the offline model: domains, their keywords and a sample curriculum.

Every text is ``"English|中文"``; ``pick(text, language)`` returns the Chinese half for ``zh``
and the English half otherwise. Each domain has 4 stages of 2 modules of 3 concepts; the
offline model takes the first 3 or 4 stages and 2 or 3 concepts depending on the budget.
"""

from __future__ import annotations

from dataclasses import dataclass

Curriculum = tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]


@dataclass(frozen=True)
class Domain:
    key: str
    name: str
    role: str
    keywords: tuple[str, ...]
    stages: Curriculum


def pick(text: str, language: str) -> str:
    """The ``language`` half of an ``"English|中文"`` text (English for non-zh languages)."""
    english, _, chinese = text.partition("|")
    return chinese if language == "zh" and chinese else english


DOMAINS: tuple[Domain, ...] = (
    Domain(
        key="backend",
        name="Backend development|后端开发",
        role="Backend engineer|后端工程师",
        keywords=(
            "backend",
            "back-end",
            "back end",
            "api",
            "server",
            "django",
            "flask",
            "fastapi",
            "spring",
            "node",
            "database",
            "microservice",
            "后端",
            "服务端",
            "接口",
            "数据库",
        ),
        stages=(
            (
                "Programming and web foundations|编程与 Web 基础",
                (
                    (
                        "Language fundamentals|语言基础",
                        (
                            "Data types and control flow|数据类型与控制流",
                            "Functions and modules|函数与模块",
                            "Error handling|错误处理",
                        ),
                    ),
                    (
                        "How the web works|Web 工作原理",
                        (
                            "HTTP requests and responses|HTTP 请求与响应",
                            "REST API design|REST API 设计",
                            "JSON and serialization|JSON 与序列化",
                        ),
                    ),
                ),
            ),
            (
                "Data and persistence|数据与持久化",
                (
                    (
                        "Relational databases|关系型数据库",
                        (
                            "SQL queries|SQL 查询",
                            "Schema design and normalization|表结构设计与范式",
                            "Indexes and query plans|索引与查询计划",
                        ),
                    ),
                    (
                        "Application data access|应用数据访问",
                        (
                            "ORMs and migrations|ORM 与数据迁移",
                            "Transactions and isolation|事务与隔离级别",
                            "Caching with Redis|使用 Redis 缓存",
                        ),
                    ),
                ),
            ),
            (
                "Building services|构建服务",
                (
                    (
                        "Web frameworks|Web 框架",
                        (
                            "Routing and request validation|路由与请求校验",
                            "Authentication and authorization|认证与授权",
                            "Background jobs|后台任务",
                        ),
                    ),
                    (
                        "Quality and testing|质量与测试",
                        (
                            "Unit testing|单元测试",
                            "Integration testing|集成测试",
                            "Logging and observability|日志与可观测性",
                        ),
                    ),
                ),
            ),
            (
                "Production and scale|生产与扩展",
                (
                    (
                        "Deployment|部署",
                        (
                            "Containers with Docker|使用 Docker 容器化",
                            "CI/CD pipelines|CI/CD 流水线",
                            "Configuration and secrets|配置与密钥管理",
                        ),
                    ),
                    (
                        "Scalability|可扩展性",
                        (
                            "Concurrency and async I/O|并发与异步 I/O",
                            "Message queues|消息队列",
                            "System design basics|系统设计基础",
                        ),
                    ),
                ),
            ),
        ),
    ),
    Domain(
        key="frontend",
        name="Frontend development|前端开发",
        role="Frontend engineer|前端工程师",
        keywords=(
            "frontend",
            "front-end",
            "front end",
            "react",
            "vue",
            "angular",
            "css",
            "html",
            "javascript",
            "typescript",
            "web design",
            "ui",
            "前端",
            "网页",
        ),
        stages=(
            (
                "Web page foundations|网页基础",
                (
                    (
                        "HTML and CSS|HTML 与 CSS",
                        (
                            "Semantic HTML|语义化 HTML",
                            "CSS layout with Flexbox and Grid|Flexbox 与 Grid 布局",
                            "Responsive design|响应式设计",
                        ),
                    ),
                    (
                        "JavaScript essentials|JavaScript 基础",
                        (
                            "Variables, functions and scope|变量、函数与作用域",
                            "The DOM and events|DOM 与事件",
                            "Promises and async/await|Promise 与 async/await",
                        ),
                    ),
                ),
            ),
            (
                "Modern tooling|现代工具链",
                (
                    (
                        "TypeScript|TypeScript",
                        (
                            "Types and interfaces|类型与接口",
                            "Generics|泛型",
                            "Type narrowing|类型收窄",
                        ),
                    ),
                    (
                        "Build tools|构建工具",
                        (
                            "Package managers|包管理器",
                            "Bundlers and dev servers|打包器与开发服务器",
                            "Linting and formatting|代码检查与格式化",
                        ),
                    ),
                ),
            ),
            (
                "Component frameworks|组件化框架",
                (
                    (
                        "Components|组件",
                        (
                            "Components and props|组件与属性",
                            "State and effects|状态与副作用",
                            "Forms and validation|表单与校验",
                        ),
                    ),
                    (
                        "Application architecture|应用架构",
                        (
                            "Client-side routing|前端路由",
                            "Fetching data from APIs|从 API 获取数据",
                            "State management|状态管理",
                        ),
                    ),
                ),
            ),
            (
                "Shipping quality apps|交付高质量应用",
                (
                    (
                        "Quality|质量",
                        (
                            "Component testing|组件测试",
                            "Accessibility|无障碍访问",
                            "Web performance|Web 性能",
                        ),
                    ),
                    (
                        "Delivery|交付",
                        (
                            "Deploying static sites|部署静态站点",
                            "Server-side rendering|服务端渲染",
                            "Monitoring real users|真实用户监控",
                        ),
                    ),
                ),
            ),
        ),
    ),
    Domain(
        key="data_science",
        name="Data science and machine learning|数据科学与机器学习",
        role="Data scientist|数据科学家",
        keywords=(
            "data science",
            "data scien",
            "machine learning",
            "ml",
            "deep learning",
            "ai",
            "llm",
            "pandas",
            "statistics",
            "analytics",
            "data analyst",
            "neural",
            "数据科学",
            "机器学习",
            "深度学习",
            "人工智能",
            "数据分析",
            "统计",
        ),
        stages=(
            (
                "Foundations for data work|数据工作基础",
                (
                    (
                        "Python for data|面向数据的 Python",
                        (
                            "NumPy arrays|NumPy 数组",
                            "DataFrames with pandas|pandas DataFrame",
                            "Data cleaning|数据清洗",
                        ),
                    ),
                    (
                        "Math essentials|数学基础",
                        (
                            "Descriptive statistics|描述统计",
                            "Probability basics|概率基础",
                            "Linear algebra for ML|机器学习中的线性代数",
                        ),
                    ),
                ),
            ),
            (
                "Exploring and communicating data|探索与表达数据",
                (
                    (
                        "Exploratory analysis|探索性分析",
                        (
                            "Data visualization|数据可视化",
                            "Hypothesis testing|假设检验",
                            "Feature engineering|特征工程",
                        ),
                    ),
                    (
                        "Working with data sources|数据来源",
                        (
                            "SQL for analysis|用于分析的 SQL",
                            "Reading files and APIs|读取文件与 API",
                            "Reproducible notebooks|可复现的 Notebook",
                        ),
                    ),
                ),
            ),
            (
                "Machine learning|机器学习",
                (
                    (
                        "Supervised learning|监督学习",
                        (
                            "Linear and logistic regression|线性回归与逻辑回归",
                            "Decision trees and ensembles|决策树与集成方法",
                            "Model evaluation and cross-validation|模型评估与交叉验证",
                        ),
                    ),
                    (
                        "Unsupervised learning|无监督学习",
                        (
                            "Clustering|聚类",
                            "Dimensionality reduction|降维",
                            "Anomaly detection|异常检测",
                        ),
                    ),
                ),
            ),
            (
                "Deep learning and deployment|深度学习与部署",
                (
                    (
                        "Neural networks|神经网络",
                        (
                            "Neural network basics|神经网络基础",
                            "Training with PyTorch|使用 PyTorch 训练",
                            "Transfer learning|迁移学习",
                        ),
                    ),
                    (
                        "ML in production|生产中的机器学习",
                        (
                            "Model serving|模型服务化",
                            "Experiment tracking|实验追踪",
                            "Monitoring model drift|监控模型漂移",
                        ),
                    ),
                ),
            ),
        ),
    ),
    Domain(
        key="devops",
        name="DevOps and cloud|DevOps 与云计算",
        role="DevOps engineer|DevOps 工程师",
        keywords=(
            "devops",
            "cloud",
            "aws",
            "azure",
            "gcp",
            "kubernetes",
            "k8s",
            "docker",
            "sre",
            "infrastructure",
            "terraform",
            "linux admin",
            "运维",
            "云",
            "容器",
        ),
        stages=(
            (
                "Systems foundations|系统基础",
                (
                    (
                        "Linux|Linux",
                        (
                            "The shell and file system|Shell 与文件系统",
                            "Processes and permissions|进程与权限",
                            "Shell scripting|Shell 脚本",
                        ),
                    ),
                    (
                        "Networking|网络",
                        (
                            "TCP/IP and DNS|TCP/IP 与 DNS",
                            "HTTP and TLS|HTTP 与 TLS",
                            "Load balancers and proxies|负载均衡与代理",
                        ),
                    ),
                ),
            ),
            (
                "Containers and automation|容器与自动化",
                (
                    (
                        "Containers|容器",
                        (
                            "Docker images|Docker 镜像",
                            "Container networking and volumes|容器网络与存储卷",
                            "Docker Compose|Docker Compose",
                        ),
                    ),
                    (
                        "Continuous delivery|持续交付",
                        (
                            "Version control workflows|版本控制工作流",
                            "CI pipelines|CI 流水线",
                            "Release strategies|发布策略",
                        ),
                    ),
                ),
            ),
            (
                "Cloud platforms|云平台",
                (
                    (
                        "Cloud fundamentals|云计算基础",
                        (
                            "Compute and storage services|计算与存储服务",
                            "Identity and access management|身份与访问管理",
                            "Virtual networks|虚拟网络",
                        ),
                    ),
                    (
                        "Infrastructure as code|基础设施即代码",
                        (
                            "Terraform basics|Terraform 基础",
                            "State and modules|状态与模块",
                            "Policy and cost control|策略与成本控制",
                        ),
                    ),
                ),
            ),
            (
                "Operating at scale|规模化运维",
                (
                    (
                        "Kubernetes|Kubernetes",
                        (
                            "Pods and deployments|Pod 与 Deployment",
                            "Services and ingress|Service 与 Ingress",
                            "Helm charts|Helm Chart",
                        ),
                    ),
                    (
                        "Reliability|可靠性",
                        (
                            "Metrics and alerting|指标与告警",
                            "Incident response|故障响应",
                            "SLOs and error budgets|SLO 与错误预算",
                        ),
                    ),
                ),
            ),
        ),
    ),
    Domain(
        key="mobile",
        name="Mobile development|移动开发",
        role="Mobile developer|移动开发工程师",
        keywords=(
            "mobile",
            "android",
            "ios",
            "swift",
            "kotlin",
            "flutter",
            "react native",
            "app developer",
            "移动",
            "安卓",
            "苹果",
            "手机",
            "小程序",
        ),
        stages=(
            (
                "Language and platform basics|语言与平台基础",
                (
                    (
                        "Programming language|编程语言",
                        (
                            "Types, optionals and collections|类型、可选值与集合",
                            "Classes and protocols|类与协议",
                            "Closures and lambdas|闭包与 Lambda",
                        ),
                    ),
                    (
                        "The mobile platform|移动平台",
                        (
                            "App lifecycle|应用生命周期",
                            "Development environment and emulators|开发环境与模拟器",
                            "Project structure|项目结构",
                        ),
                    ),
                ),
            ),
            (
                "Building interfaces|构建界面",
                (
                    (
                        "UI fundamentals|界面基础",
                        (
                            "Layouts and views|布局与视图",
                            "Lists and navigation|列表与导航",
                            "Declarative UI|声明式 UI",
                        ),
                    ),
                    (
                        "User experience|用户体验",
                        (
                            "Handling user input|处理用户输入",
                            "Animations|动画",
                            "Accessibility on mobile|移动端无障碍",
                        ),
                    ),
                ),
            ),
            (
                "Data and services|数据与服务",
                (
                    (
                        "Networking|网络",
                        (
                            "Calling REST APIs|调用 REST API",
                            "Concurrency on mobile|移动端并发",
                            "Error and offline handling|错误与离线处理",
                        ),
                    ),
                    (
                        "Local data|本地数据",
                        (
                            "Local databases|本地数据库",
                            "Key-value storage|键值存储",
                            "Syncing data|数据同步",
                        ),
                    ),
                ),
            ),
            (
                "Shipping apps|发布应用",
                (
                    (
                        "Quality|质量",
                        (
                            "Unit and UI tests|单元测试与 UI 测试",
                            "Debugging and profiling|调试与性能分析",
                            "App architecture patterns|应用架构模式",
                        ),
                    ),
                    (
                        "Release|发布",
                        (
                            "Signing and app store submission|签名与应用商店提交",
                            "Push notifications|推送通知",
                            "Analytics and crash reporting|分析与崩溃报告",
                        ),
                    ),
                ),
            ),
        ),
    ),
    Domain(
        key="security",
        name="Cybersecurity|网络安全",
        role="Security engineer|安全工程师",
        keywords=(
            "security",
            "cyber",
            "pentest",
            "penetration",
            "hacking",
            "infosec",
            "appsec",
            "soc analyst",
            "cryptography",
            "安全",
            "渗透",
            "攻防",
            "密码学",
        ),
        stages=(
            (
                "Security foundations|安全基础",
                (
                    (
                        "Core principles|核心原则",
                        (
                            "The CIA triad|CIA 三要素",
                            "Threat modeling|威胁建模",
                            "Security policies and compliance|安全策略与合规",
                        ),
                    ),
                    (
                        "Systems and networks|系统与网络",
                        (
                            "Network protocols|网络协议",
                            "Linux and Windows internals|Linux 与 Windows 内部机制",
                            "Firewalls and segmentation|防火墙与网络隔离",
                        ),
                    ),
                ),
            ),
            (
                "Cryptography and identity|密码学与身份",
                (
                    (
                        "Cryptography|密码学",
                        (
                            "Symmetric and asymmetric encryption|对称与非对称加密",
                            "Hashing and signatures|哈希与数字签名",
                            "TLS and certificates|TLS 与证书",
                        ),
                    ),
                    (
                        "Identity|身份",
                        (
                            "Authentication methods|认证方式",
                            "Access control models|访问控制模型",
                            "Secrets management|密钥管理",
                        ),
                    ),
                ),
            ),
            (
                "Attacking and defending applications|应用攻防",
                (
                    (
                        "Web application security|Web 应用安全",
                        (
                            "The OWASP Top 10|OWASP Top 10",
                            "Injection attacks|注入攻击",
                            "Cross-site scripting|跨站脚本攻击",
                        ),
                    ),
                    (
                        "Offensive techniques|攻击技术",
                        (
                            "Reconnaissance|信息收集",
                            "Vulnerability scanning|漏洞扫描",
                            "Exploitation basics|漏洞利用基础",
                        ),
                    ),
                ),
            ),
            (
                "Detection and response|检测与响应",
                (
                    (
                        "Monitoring|监控",
                        (
                            "Log analysis|日志分析",
                            "SIEM and alerting|SIEM 与告警",
                            "Intrusion detection|入侵检测",
                        ),
                    ),
                    (
                        "Incident handling|事件处置",
                        (
                            "Incident response process|事件响应流程",
                            "Digital forensics basics|数字取证基础",
                            "Post-incident review|事后复盘",
                        ),
                    ),
                ),
            ),
        ),
    ),
)

# Well-known references per catalog domain for the offline model's sample resources:
# ``(title "English|中文", type, url, description "English|中文")``. They are never marked
# verified (no search returned them).
REFERENCES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "backend": (
        (
            "The Python Tutorial|Python 官方教程",
            "documentation",
            "https://docs.python.org/3/tutorial/",
            "The official tour of the language, with runnable examples.|"
            "官方语言入门，附可运行的示例。",
        ),
        (
            "MDN: An overview of HTTP|MDN：HTTP 概述",
            "documentation",
            "https://developer.mozilla.org/en-US/docs/Web/HTTP/Overview",
            "How requests, responses, methods and status codes fit together.|"
            "请求、响应、方法与状态码如何协同工作。",
        ),
        (
            "PostgreSQL tutorial|PostgreSQL 官方教程",
            "documentation",
            "https://www.postgresql.org/docs/current/tutorial.html",
            "Tables, queries, joins and transactions from the official manual.|"
            "官方手册中的表、查询、连接与事务。",
        ),
    ),
    "frontend": (
        (
            "MDN: Learn web development|MDN：学习 Web 开发",
            "course",
            "https://developer.mozilla.org/en-US/docs/Learn_web_development",
            "A structured path through HTML, CSS and JavaScript.|"
            "系统学习 HTML、CSS 与 JavaScript 的路线。",
        ),
        (
            "MDN: JavaScript Guide|MDN：JavaScript 指南",
            "documentation",
            "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Guide",
            "The language from values and functions to modules and promises.|"
            "从值与函数到模块与 Promise 的语言指南。",
        ),
        (
            "React: Quick Start|React 快速入门",
            "documentation",
            "https://react.dev/learn",
            "Components, props and state in the official docs.|官方文档中的组件、属性与状态。",
        ),
    ),
    "data_science": (
        (
            "pandas: Getting started|pandas 入门",
            "documentation",
            "https://pandas.pydata.org/docs/getting_started/index.html",
            "Loading, selecting and summarising tabular data.|加载、筛选与汇总表格数据。",
        ),
        (
            "scikit-learn User Guide|scikit-learn 用户指南",
            "documentation",
            "https://scikit-learn.org/stable/user_guide.html",
            "Models, evaluation and pipelines with worked examples.|"
            "模型、评估与流水线，附完整示例。",
        ),
    ),
    "devops": (
        (
            "Docker: Get started|Docker 入门",
            "documentation",
            "https://docs.docker.com/get-started/",
            "Images, containers and Compose, step by step.|逐步了解镜像、容器与 Compose。",
        ),
        (
            "Kubernetes Basics|Kubernetes 基础教程",
            "course",
            "https://kubernetes.io/docs/tutorials/kubernetes-basics/",
            "Deploy, expose, scale and update an application.|部署、暴露、扩缩与更新一个应用。",
        ),
    ),
    "mobile": (
        (
            "Android Developers: Courses|Android 开发者课程",
            "course",
            "https://developer.android.com/courses",
            "Official courses from a first app to architecture.|从第一个应用到架构的官方课程。",
        ),
        (
            "The Swift Programming Language|Swift 编程语言",
            "book",
            "https://docs.swift.org/swift-book/",
            "The official book on the language used for iOS apps.|iOS 开发语言的官方图书。",
        ),
    ),
    "security": (
        (
            "OWASP Top Ten|OWASP 十大安全风险",
            "documentation",
            "https://owasp.org/www-project-top-ten/",
            "The most critical web application security risks.|最关键的 Web 应用安全风险。",
        ),
        (
            "OWASP Cheat Sheet Series|OWASP 速查表系列",
            "documentation",
            "https://cheatsheetseries.owasp.org/",
            "Concise, practical defences for common problems.|针对常见问题的简明实用防护方法。",
        ),
    ),
}

# A runnable starting point per catalog domain for the offline tutorials' code sample
# (``NOTE`` becomes a line naming the concept, in the output language): ``(fence, code)``.
EXAMPLES: dict[str, tuple[str, str]] = {
    "backend": (
        "python",
        '"""NOTE"""\n\n\n'
        "def handle(request: dict[str, str]) -> dict[str, object]:\n"
        '    name = request.get("name", "world")\n'
        '    return {"status": 200, "body": f"hello, {name}"}\n\n\n'
        'assert handle({"name": "learner"})["status"] == 200\n'
        "print(handle({}))\n",
    ),
    "frontend": (
        "javascript",
        "// NOTE\n"
        "const button = document.createElement('button');\n"
        "let clicks = 0;\n"
        "button.textContent = 'Clicked 0 times';\n"
        "button.addEventListener('click', () => {\n"
        "  clicks += 1;\n"
        "  button.textContent = `Clicked ${clicks} times`;\n"
        "});\n"
        "document.body.append(button);\n",
    ),
    "data_science": (
        "python",
        "# NOTE\n"
        "import pandas as pd\n\n"
        'df = pd.DataFrame({"hours": [1, 2, 3, 4], "score": [52, 61, 70, 78]})\n'
        "print(df.describe())\n"
        'print(df["score"].corr(df["hours"]))\n',
    ),
    "devops": (
        "bash",
        "# NOTE\n"
        "docker run --rm -d -p 8080:80 --name demo nginx:alpine\n"
        "curl -sI http://127.0.0.1:8080 | head -1\n"
        "docker logs demo | tail -3\n"
        "docker stop demo\n",
    ),
    "mobile": (
        "kotlin",
        "// NOTE\n"
        "data class Counter(val value: Int = 0) {\n"
        "    fun increment() = copy(value = value + 1)\n"
        "}\n\n"
        "fun main() {\n"
        "    val counter = Counter().increment().increment()\n"
        "    println(counter.value)\n"
        "}\n",
    ),
    "security": (
        "python",
        "# NOTE\n"
        "import sqlite3\n\n"
        'db = sqlite3.connect(":memory:")\n'
        'db.execute("create table users (name text)")\n'
        "name = \"x' or '1'='1\"\n"
        'rows = db.execute("select * from users where name = ?", (name,)).fetchall()\n'
        "print(rows)\n",
    ),
}
